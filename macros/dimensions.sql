{#- The canonical text of a meter's group-by values, 'region=eu-west' or
    'model=tally-large;region=us-east' in the meter's group-by order; '' when the meter
    groups by nothing. A missing property is its own group, written with the marker
    `(null)`. Reads group_by_<k> and dimension_<k>_value of relation_alias (unqualified
    when it is none). -#}
{% macro dimension_key(relation_alias=none) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {%- set parts = [] -%}
    {%- for slot in [1, 2, 3] -%}
        {%- do parts.append(
            "case when " ~ prefix ~ "group_by_" ~ slot ~ " is null then '' else "
            ~ ("';' || " if slot > 1 else "")
            ~ prefix ~ "group_by_" ~ slot ~ " || '=' || coalesce("
            ~ prefix ~ "dimension_" ~ slot ~ "_value, '(null)') end"
        ) -%}
    {%- endfor -%}
    {{ parts | join(' || ') }}
{%- endmacro %}
