{#- The canonical text of a meter's group-by values, 'region=eu-west' or
    'model=tally-large;region=us-east' in the meter's group-by order; '' when the meter
    groups by nothing. A missing property is its own group, written with the marker
    `(null)`. -#}
{% macro dimension_key(relation_alias) -%}
    {%- set parts = [] -%}
    {%- for slot in [1, 2, 3] -%}
        {%- do parts.append(
            "case when " ~ relation_alias ~ ".group_by_" ~ slot ~ " is null then '' else "
            ~ ("';' || " if slot > 1 else "")
            ~ relation_alias ~ ".group_by_" ~ slot ~ " || '=' || coalesce("
            ~ relation_alias ~ ".dimension_" ~ slot ~ "_value, '(null)') end"
        ) -%}
    {%- endfor -%}
    {{ parts | join(' || ') }}
{%- endmacro %}
