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
    Set before a model's write and reset after its commit; no other warehouse needs it. -#}
{% macro skip_unique_text_compression() %}
    {{ return(adapter.dispatch('skip_unique_text_compression', 'tally')()) }}
{% endmacro %}

{% macro default__skip_unique_text_compression() %}
{% endmacro %}

{% macro duckdb__skip_unique_text_compression() %}
    set disabled_compression_methods = 'dict_fsst'
{% endmacro %}

{% macro restore_text_compression() %}
    {{ return(adapter.dispatch('restore_text_compression', 'tally')()) }}
{% endmacro %}

{% macro default__restore_text_compression() %}
{% endmacro %}

{% macro duckdb__restore_text_compression() %}
    reset disabled_compression_methods
{% endmacro %}
