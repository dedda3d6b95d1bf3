{#- The one rounding of money: an amount at full precision to the currency's minor unit
    (0, 2 or 3 places, from the currencies seed), half away from zero, returned in the one
    money type of every amount column, decimal(38, 9). Invoice lines are rounded here once,
    and nowhere else. -#}
{% macro round_money(amount_expression, minor_unit_expression) -%}
    cast(
        case {{ minor_unit_expression }}
            when 0 then cast({{ amount_expression }} as decimal(38, 0))
            when 1 then cast({{ amount_expression }} as decimal(38, 1))
            when 2 then cast({{ amount_expression }} as decimal(38, 2))
            when 3 then cast({{ amount_expression }} as decimal(38, 3))
            when 4 then cast({{ amount_expression }} as decimal(38, 4))
        end
        as {{ tally.money_type() }}
    )
{%- endmacro %}

{#- The column type of every _amount column. -#}
{% macro money_type() -%}
    decimal(38, 9)
{%- endmacro %}

{#- The column type of every metered _quantity column (full precision until rated). -#}
{% macro quantity_type() -%}
    decimal(38, 18)
{%- endmacro %}
