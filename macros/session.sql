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

{#- Texts written with zstd compression (DuckDB's force_compression) by the widest write of
    the event path, staging. DuckDB's default dictionary+FSST analysis costs more than the
    write itself for 20M rows of mostly unique text; written uncompressed instead, staging
    took four times the disk of the raw table (6.1 GB at 20M events), which every later scan
    read back. With zstd it writes in about the time uncompressed took and takes a tenth of
    the disk (DECISIONLOG "Metering at 20M events"). Set before the model's write
    (compress_texts_with_zstd(true)) and reset after its commit
    (compress_texts_with_zstd(false)); other warehouses choose their own compression. -#}
{% macro compress_texts_with_zstd(enabled) %}
    {{ return(adapter.dispatch('compress_texts_with_zstd', 'tally')(enabled)) }}
{% endmacro %}

{% macro default__compress_texts_with_zstd(enabled) %}
{% endmacro %}

{% macro duckdb__compress_texts_with_zstd(enabled) %}
    {%- if enabled -%}
        set force_compression = 'zstd'
    {%- else -%}
        reset force_compression
    {%- endif -%}
{% endmacro %}
