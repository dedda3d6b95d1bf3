{#- Minimum spend (PRICING.md step 4, `minimum_true_up`): when a contract part's usage
    subtotal after discounts (platform fees excluded, commitments and credits not yet
    applied) is below the contract's minimum in force on the period's first day, a line
    bills the difference. The minimum is not prorated for a partial period. -#}

with

contract_periods as (
    select * from {{ ref('int_contract_periods') }}
),

subtotals as (
    select * from {{ ref('int_usage_subtotals_discounted') }}
),

minimum_spends as (
    select * from {{ ref('minimum_spends') }}
),

minimums_in_force as (
    select
        contract_periods.contract_period_id,
        minimum_spends.minimum_spend_id,
        minimum_spends.minimum_amount,
        row_number() over (
            partition by contract_periods.contract_period_id
            order by minimum_spends.minimum_spend_id
        ) as minimum_rank
    from contract_periods
    inner join minimum_spends
        on
            contract_periods.contract_id = minimum_spends.contract_id
            and minimum_spends.effective_from_date <= contract_periods.period_start_date
            and (
                minimum_spends.effective_to_date is null
                or contract_periods.period_start_date < minimum_spends.effective_to_date
            )
),

shortfalls as (
    select
        contract_periods.*,
        minimums_in_force.minimum_spend_id,
        minimums_in_force.minimum_amount - subtotals.subtotal_amount as shortfall_amount
    from minimums_in_force
    inner join contract_periods
        on minimums_in_force.contract_period_id = contract_periods.contract_period_id
    inner join subtotals
        on minimums_in_force.contract_period_id = subtotals.contract_period_id
    where
        minimums_in_force.minimum_rank = 1
        and subtotals.subtotal_amount < minimums_in_force.minimum_amount
),

final as (
    select
        cast(
            billing_account_id || '|' || cast(period_start_date as varchar)
            || '|minimum_true_up|' || contract_id || '|' || minimum_spend_id
            as varchar
        ) as invoice_line_id,
        cast(contract_period_id as varchar) as contract_period_id,
        cast(billing_account_id as varchar) as billing_account_id,
        cast(period_start_date as date) as period_start_date,
        cast(contract_id as varchar) as contract_id,
        cast(contract_sequence as integer) as contract_sequence,
        cast(plan_id as varchar) as plan_id,
        cast(plan_version_id as varchar) as plan_version_id,
        cast('minimum_true_up' as varchar) as line_type,
        cast(1 as integer) as line_sequence,
        cast(minimum_spend_id as varchar) as reference_id,
        cast(currency_code as varchar) as currency_code,
        cast(minor_unit as integer) as minor_unit,
        cast(shortfall_amount as {{ tally.quantity_type() }}) as unrounded_amount,
        {{ tally.round_money('shortfall_amount', 'minor_unit') }} as amount
    from shortfalls
)

select * from final
