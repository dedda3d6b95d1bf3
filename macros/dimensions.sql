{#- The canonical text of a meter's group-by values, 'region=eu-west' or
    'model=tally-large;region=us-east' in the meter's group-by order; '' when the meter
    groups by nothing. A missing property is its own group, written with the marker
    `(null)`. Reads group_by_<k> of names_alias and dimension_<k>_value of values_alias
    (by default names_alias). -#}
{% macro dimension_key(names_alias, values_alias=none) -%}
    {%- set names_prefix = names_alias ~ '.' -%}
    {%- set values_prefix = (values_alias or names_alias) ~ '.' -%}
    {%- set parts = [] -%}
    {%- for slot in [1, 2, 3] -%}
        {%- do parts.append(
            "case when " ~ names_prefix ~ "group_by_" ~ slot ~ " is null then '' else "
            ~ ("';' || " if slot > 1 else "")
            ~ names_prefix ~ "group_by_" ~ slot ~ " || '=' || coalesce("
            ~ values_prefix ~ "dimension_" ~ slot ~ "_value, '(null)') end"
        ) -%}
    {%- endfor -%}
    {{ parts | join(' || ') }}
{%- endmacro %}
