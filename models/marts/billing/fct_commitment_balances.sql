{{ config(contract={'enforced': true}) }}

{#- Each commitment term's state after each period of it that was rated: for a prepaid
    commitment, the balance before the period, what the period drew and what is left (which
    lapses after the term's last period); for a postpaid one, the amount less the usage
    subtotals before and after the period. term_usage_amount is the term's usage subtotals
    after discounts to date. -#}

with

commitment_periods as (
    select * from {{ ref('int_commitment_periods') }}
),

final as (
    select
        cast(commitment_balance_id as varchar) as commitment_balance_id,
        cast(commitment_id as varchar) as commitment_id,
        cast(term_number as integer) as term_number,
        cast(period_start_date as date) as period_start_date,
        cast(billing_account_id as varchar) as billing_account_id,
        cast(contract_id as varchar) as contract_id,
        cast(commitment_type as varchar) as commitment_type,
        cast(currency_code as varchar) as currency_code,
        cast(commitment_amount as {{ tally.money_type() }}) as commitment_amount,
        cast(opening_balance_amount as {{ tally.money_type() }}) as opening_balance_amount,
        cast(drawdown_amount as {{ tally.money_type() }}) as drawdown_amount,
        cast(closing_balance_amount as {{ tally.money_type() }}) as closing_balance_amount,
        cast(term_usage_amount as {{ tally.money_type() }}) as term_usage_amount,
        cast(lapsed_amount as {{ tally.money_type() }}) as lapsed_amount
    from commitment_periods
)

select * from final
