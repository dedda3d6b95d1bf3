{#- ISO 8601 text with any offset (none means UTC) to a UTC timestamp without time zone;
    null when the text cannot be parsed. -#}
{% macro parse_utc_timestamp(text_expression) %}
    {{ return(adapter.dispatch('parse_utc_timestamp', 'tally')(text_expression)) }}
{% endmacro %}

{% macro default__parse_utc_timestamp(text_expression) -%}
    {#- Fast path: the plain UTC form 2026-08-01T01:47:59Z is read by a plain timestamp cast,
        several times faster than the time-zone-aware cast (which goes through ICU); every
        other text (offsets, fractions of a second, no zone) takes the time-zone-aware cast.
        A plain cast would ignore an offset, so only this offset-free form takes it. -#}
    case
        when {{ text_expression }} like '____-__-__T__:__:__Z'
            then try_cast({{ text_expression }} as timestamp)
        else timezone('UTC', try_cast({{ text_expression }} as timestamptz))
    end
{%- endmacro %}

{% macro snowflake__parse_utc_timestamp(text_expression) -%}
    cast(convert_timezone('UTC', try_cast({{ text_expression }} as timestamp_tz)) as timestamp_ntz)
{%- endmacro %}

{#- The first day of the UTC month (the billing period) of a timestamp, as a date. -#}
{% macro period_start(timestamp_expression) -%}
    cast({{ dbt.date_trunc('month', timestamp_expression) }} as date)
{%- endmacro %}

{#- The open end of every effective-dated range, so that ranges compare without nulls. -#}
{% macro end_of_time() -%}
    cast('9999-12-31 00:00:00' as timestamp)
{%- endmacro %}

{#- "Now" for the open period: the tally_as_of variable, else the latest received_at landed. -#}
{% macro as_of(staged_events_relation) -%}
    {%- if var('tally_as_of', none) -%}
        cast('{{ var("tally_as_of") }}' as timestamp)
    {%- else -%}
        (select max(received_at) from {{ staged_events_relation }})
    {%- endif -%}
{%- endmacro %}

{#- The earlier (later) of two values, written out as a case: portable where LEAST and
    GREATEST are not (DuckDB's skip nulls, Snowflake's return null). When the comparison is
    unknown (either is null) the second is taken. -#}
{% macro earlier_of(first, second) -%}
    case when {{ first }} < {{ second }} then {{ first }} else {{ second }} end
{%- endmacro %}

{% macro later_of(first, second) -%}
    case when {{ first }} > {{ second }} then {{ first }} else {{ second }} end
{%- endmacro %}
