{#- The whole numbers 0 .. 10^digit_count - 1 as one column, portable (a cross join of
    digits, no generate_series): the offsets of a day or month spine. -#}
{% macro whole_numbers(digit_count, column_name) -%}
    select
        {% for position in range(digit_count) -%}
            {{ ' + ' if not loop.first }}{{ 10 ** position }} * digits_{{ position }}.digit
        {%- endfor %} as {{ column_name }}
    from
        {% for position in range(digit_count) -%}
            {{ 'cross join ' if not loop.first }}(
                select 0 as digit union all select 1 union all select 2 union all select 3
                union all select 4 union all select 5 union all select 6 union all select 7
                union all select 8 union all select 9
            ) as digits_{{ position }}
        {% endfor %}
{%- endmacro %}
