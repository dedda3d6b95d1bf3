{#- The one rounding of money: an amount at full precision to the currency's minor unit
    (0, 2 or 3 places, from the currencies seed), half away from zero, returned in the one
    money type of every amount column, decimal(38, 9). Invoice lines are rounded here once,
    and nowhere else. -#}
{% macro round_money(amount_expression, minor_unit_expression) -%}
    {#- Each branch is cast back to the money type itself: DuckDB unifies the branches of a
        case over decimal(38, 0..4) to decimal(38, 0), which would round every currency to
        whole units. -#}
    case {{ minor_unit_expression }}
        when 0 then cast(cast({{ amount_expression }} as decimal(38, 0)) as {{ tally.money_type() }})
        when 1 then cast(cast({{ amount_expression }} as decimal(38, 1)) as {{ tally.money_type() }})
        when 2 then cast(cast({{ amount_expression }} as decimal(38, 2)) as {{ tally.money_type() }})
        when 3 then cast(cast({{ amount_expression }} as decimal(38, 3)) as {{ tally.money_type() }})
        when 4 then cast(cast({{ amount_expression }} as decimal(38, 4)) as {{ tally.money_type() }})
    end
{%- endmacro %}

{#- The column type of every _amount column. -#}
{% macro money_type() -%}
    decimal(38, 9)
{%- endmacro %}

{#- The column type of every metered _quantity column (full precision until rated). -#}
{% macro quantity_type() -%}
    decimal(38, 18)
{%- endmacro %}
