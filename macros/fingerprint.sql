{#- A 64-bit fingerprint of a row's values, as a BIGINT, to compare deliveries of one
    event id cheaply (both warehouses have a native HASH over several arguments). -#}
{% macro row_fingerprint(columns) %}
    {{ return(adapter.dispatch('row_fingerprint', 'tally')(columns)) }}
{% endmacro %}

{% macro default__row_fingerprint(columns) -%}
    {#- DuckDB's hash is an unsigned 64-bit integer: keep 63 bits so it fits a BIGINT. -#}
    cast(hash({{ columns | join(', ') }}) >> 1 as bigint)
{%- endmacro %}

{% macro snowflake__row_fingerprint(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}
