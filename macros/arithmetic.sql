{#- Exact division by a whole number (days, periods, N of "per N units", 100 for a percent,
    microseconds in a day): the quotient to 18 decimal places, rounded half away from
    zero, as decimal(38, 18). PRICING.md, "Money": multiply before dividing, so pass the
    product as the numerator. Every division of money or quantities goes through here,
    because DuckDB divides decimals in floating point. -#}
{% macro divide(numerator, whole_denominator) %}
    {{ return(adapter.dispatch('divide', 'tally')(numerator, whole_denominator)) }}
{% endmacro %}

{% macro default__divide(numerator, whole_denominator) -%}
    {#- The numerator as a whole count of 10^-18 units (a HUGEINT), divided as integers with
        the remainder rounded half away from zero, then scaled back without any float. -#}
    (
        cast(
            sign({{ tally._scaled_hugeint(numerator) }}) * sign(cast({{ whole_denominator }} as hugeint))
            * (
                (abs({{ tally._scaled_hugeint(numerator) }}) * 2 + abs(cast({{ whole_denominator }} as hugeint)))
                // (2 * abs(cast({{ whole_denominator }} as hugeint)))
            )
            as decimal(38, 0)
        )
        * cast('0.000000000000000001' as decimal(18, 18))
    )
{%- endmacro %}

{% macro _scaled_hugeint(expression) -%}
    (
        cast(trunc(cast({{ expression }} as decimal(38, 18))) as hugeint) * cast('1000000000000000000' as hugeint)
        + cast(
            (cast({{ expression }} as decimal(38, 18)) - trunc(cast({{ expression }} as decimal(38, 18))))
            * 1000000000000000000 as hugeint
        )
    )
{%- endmacro %}

{% macro snowflake__divide(numerator, whole_denominator) -%}
    {#- Snowflake keeps max(s1, min(s1 + 6, 12)) places in a quotient: give the numerator 24
        places, then round half away from zero at 18. -#}
    cast(
        round(cast({{ numerator }} as number(38, 24)) / {{ whole_denominator }}, 18)
        as number(38, 18)
    )
{%- endmacro %}
