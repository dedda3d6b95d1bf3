{#- Every model runs with the session time zone set to UTC, on every warehouse, so that no
    timestamp conversion depends on a server default (Snowflake's is America/Los_Angeles). -#}
{% macro set_session_time_zone() %}
    {{ return(adapter.dispatch('set_session_time_zone', 'tally')()) }}
{% endmacro %}

{% macro default__set_session_time_zone() %}
    set timezone = 'UTC'
{% endmacro %}

{% macro snowflake__set_session_time_zone() %}
    {%- if env_var('TALLY_FAKESNOW', '') == '1' -%}
        select 1
    {%- else -%}
        alter session set timezone = 'UTC'
    {%- endif -%}
{% endmacro %}

{#- Unique texts (event ids, JSON properties) written without DuckDB's dictionary+FSST
    compression: analysing it costs more than the write itself for 20M rows of mostly
    unique text (measured: staging 51 s -> 37 s at 20M events; the table takes more disk).
    Turned off before a model's write (compress_unique_texts(false)) and back on after its
    commit (compress_unique_texts(true)); no other warehouse needs it. -#}
{% macro compress_unique_texts(enabled) %}
    {{ return(adapter.dispatch('compress_unique_texts', 'tally')(enabled)) }}
{% endmacro %}

{% macro default__compress_unique_texts(enabled) %}
{% endmacro %}

{% macro duckdb__compress_unique_texts(enabled) %}
    {%- if enabled -%}
        reset disabled_compression_methods
    {%- else -%}
        set disabled_compression_methods = 'dict_fsst'
    {%- endif -%}
{% endmacro %}
