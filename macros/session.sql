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
