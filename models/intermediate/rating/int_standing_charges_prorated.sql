{#- Standing charges (PRICING.md step 5, `platform_fee`): each standing charge of the plan
    version pricing a contract's part, on the invoice of the period it covers (advance or
    arrears alike; the timing is carried for revenue recognition and exports), prorated by
    days covered / days in the period at full precision and rounded once on the line. -#}

with

contract_periods as (
    select * from {{ ref('int_contract_periods') }}
),

standing_charges as (
    select * from {{ ref('standing_charges') }}
),

prorated as (
    select
        contract_periods.*,
        standing_charges.standing_charge_id,
        standing_charges.billing_timing,
        {{ tally.divide(
            'standing_charges.charge_amount * contract_periods.covered_days',
            'contract_periods.period_days',
        ) }} as unrounded_amount
    from contract_periods
    inner join standing_charges
        on contract_periods.plan_version_id = standing_charges.plan_version_id
),

final as (
    select
        cast(
            billing_account_id || '|' || cast(period_start_date as varchar)
            || '|platform_fee|' || contract_id || '|' || standing_charge_id
            as varchar
        ) as invoice_line_id,
        cast(contract_period_id as varchar) as contract_period_id,
        cast(billing_account_id as varchar) as billing_account_id,
        cast(period_start_date as date) as period_start_date,
        cast(contract_id as varchar) as contract_id,
        cast(contract_sequence as integer) as contract_sequence,
        cast(plan_id as varchar) as plan_id,
        cast(plan_version_id as varchar) as plan_version_id,
        cast('platform_fee' as varchar) as line_type,
        cast(
            row_number() over (partition by contract_period_id order by standing_charge_id)
            as integer
        ) as line_sequence,
        cast(standing_charge_id as varchar) as reference_id,
        cast(billing_timing as varchar) as billing_timing,
        cast(prorate_fraction as {{ tally.quantity_type() }}) as quantity,
        cast(currency_code as varchar) as currency_code,
        cast(minor_unit as integer) as minor_unit,
        cast(unrounded_amount as {{ tally.quantity_type() }}) as unrounded_amount,
        {{ tally.round_money('unrounded_amount', 'minor_unit') }} as amount
    from prorated
)

select * from final
