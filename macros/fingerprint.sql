{#- A 64-bit fingerprint of a row's values, to compare deliveries of one event id cheaply
    (both warehouses have a native HASH over several arguments). -#}
{% macro row_fingerprint(columns) %}
    {{ return(adapter.dispatch('row_fingerprint', 'tally')(columns)) }}
{% endmacro %}

{% macro default__row_fingerprint(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}
