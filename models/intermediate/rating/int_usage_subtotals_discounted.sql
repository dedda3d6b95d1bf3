{#- The usage subtotal after discounts of each contract's part: its rounded usage lines plus
    its rounded discount lines. It feeds the commitment (drawdown, overage, true-up) and the
    minimum spend (PRICING.md steps 3 and 4); platform fees are not in it. -#}

with

contract_periods as (
    select * from {{ ref('int_contract_periods') }}
),

usage_lines as (
    select * from {{ ref('int_rated_usage') }}
),

discount_lines as (
    select * from {{ ref('int_discounts_applied') }}
),

usage_totals as (
    select
        contract_period_id,
        sum(cast(amount as {{ tally.money_type() }})) as usage_amount
    from usage_lines
    group by contract_period_id
),

discount_totals as (
    select
        contract_period_id,
        sum(cast(amount as {{ tally.money_type() }})) as discount_amount
    from discount_lines
    group by contract_period_id
),

final as (
    select
        cast(contract_periods.contract_period_id as varchar) as contract_period_id,
        cast(contract_periods.contract_id as varchar) as contract_id,
        cast(contract_periods.billing_account_id as varchar) as billing_account_id,
        cast(contract_periods.period_start_date as date) as period_start_date,
        cast(contract_periods.currency_code as varchar) as currency_code,
        cast(coalesce(usage_totals.usage_amount, 0) as {{ tally.money_type() }}) as usage_amount,
        cast(coalesce(discount_totals.discount_amount, 0) as {{ tally.money_type() }}) as discount_amount,
        cast(
            coalesce(usage_totals.usage_amount, 0) + coalesce(discount_totals.discount_amount, 0)
            as {{ tally.money_type() }}
        ) as subtotal_amount
    from contract_periods
    left join usage_totals
        on contract_periods.contract_period_id = usage_totals.contract_period_id
    left join discount_totals
        on contract_periods.contract_period_id = discount_totals.contract_period_id
)

select * from final
