{#- Layers get plain schema names (staging, intermediate, marts, price_book) rather than
    dbt's default <target schema>_<custom schema>: finance queries marts.fct_invoices. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
