{#- Each contract's part of each billing period it is in force in: from the period of its
    start date to the period before its end date, or to the as-of period when open (the
    open period is rated to date). A part is [max(contract start, period start),
    min(contract end, period end)): its days covered prorate standing charges, its dates
    select the usage it rates, and the plan version in force on the period's first day
    prices it (PRICING.md "Prices and contracts in detail"). -#}

with

contracts as (
    select * from {{ ref('contracts') }}
),

plans as (
    select * from {{ ref('plans') }}
),

plan_versions as (
    select * from {{ ref('plan_versions') }}
),

currencies as (
    select * from {{ ref('currencies') }}
),

as_of as (
    select
        cast({{ tally.period_start(tally.as_of(ref('stg_raw__usage_events'))) }} as date)
            as as_of_period_start_date
),

month_offsets as (
    {{ tally.whole_numbers(3, 'month_offset') }}
),

contract_bounds as (
    select
        contracts.contract_id,
        contracts.billing_account_id,
        contracts.plan_id,
        contracts.start_date,
        contracts.end_date,
        cast({{ tally.period_start('contracts.start_date') }} as date) as first_period_start_date,
        case
            when
                contracts.end_date is null
                or as_of.as_of_period_start_date
                < cast({{ tally.period_start(dbt.dateadd('day', -1, 'contracts.end_date')) }} as date)
                then as_of.as_of_period_start_date
            else cast({{ tally.period_start(dbt.dateadd('day', -1, 'contracts.end_date')) }} as date)
        end as last_period_start_date
    from contracts
    cross join as_of
),

contract_months as (
    select
        contract_bounds.*,
        cast(
            {{ dbt.dateadd('month', 'month_offsets.month_offset', 'contract_bounds.first_period_start_date') }}
            as date
        ) as period_start_date
    from contract_bounds
    inner join month_offsets
        on
            month_offsets.month_offset
            <= {{ dbt.datediff('contract_bounds.first_period_start_date', 'contract_bounds.last_period_start_date', 'month') }}
),

parts as (
    select
        contract_months.*,
        cast({{ dbt.dateadd('month', 1, 'contract_months.period_start_date') }} as date) as period_end_date,
        case
            when contract_months.start_date > contract_months.period_start_date
                then contract_months.start_date
            else contract_months.period_start_date
        end as part_start_date,
        case
            when
                contract_months.end_date is not null
                and contract_months.end_date
                < cast({{ dbt.dateadd('month', 1, 'contract_months.period_start_date') }} as date)
                then contract_months.end_date
            else cast({{ dbt.dateadd('month', 1, 'contract_months.period_start_date') }} as date)
        end as part_end_date
    from contract_months
),

versions_in_force as (
    select
        parts.contract_id,
        parts.period_start_date,
        plan_versions.plan_version_id,
        row_number() over (
            partition by parts.contract_id, parts.period_start_date
            order by plan_versions.effective_from_date desc, plan_versions.plan_version_id desc
        ) as version_rank
    from parts
    inner join plan_versions
        on
            parts.plan_id = plan_versions.plan_id
            and plan_versions.effective_from_date <= parts.period_start_date
),

final as (
    select
        cast(parts.contract_id || '|' || cast(parts.period_start_date as varchar) as varchar)
            as contract_period_id,
        cast(parts.contract_id as varchar) as contract_id,
        cast(parts.billing_account_id as varchar) as billing_account_id,
        cast(parts.plan_id as varchar) as plan_id,
        cast(versions_in_force.plan_version_id as varchar) as plan_version_id,
        cast(plans.currency_code as varchar) as currency_code,
        cast(currencies.minor_unit as integer) as minor_unit,
        cast(parts.period_start_date as date) as period_start_date,
        cast(parts.period_end_date as date) as period_end_date,
        cast(parts.start_date as date) as contract_start_date,
        cast(parts.end_date as date) as contract_end_date,
        cast(parts.part_start_date as date) as part_start_date,
        cast(parts.part_end_date as date) as part_end_date,
        cast({{ dbt.datediff('parts.part_start_date', 'parts.part_end_date', 'day') }} as integer)
            as covered_days,
        cast({{ dbt.datediff('parts.period_start_date', 'parts.period_end_date', 'day') }} as integer)
            as period_days,
        cast(
            {{ tally.divide(
                dbt.datediff('parts.part_start_date', 'parts.part_end_date', 'day'),
                dbt.datediff('parts.period_start_date', 'parts.period_end_date', 'day'),
            ) }}
            as {{ tally.quantity_type() }}
        ) as prorate_fraction,
        cast(
            row_number()
                over (
                    partition by parts.billing_account_id, parts.period_start_date
                    order by parts.start_date, parts.contract_id
                )
            as integer
        ) as contract_sequence
    from parts
    inner join plans
        on parts.plan_id = plans.plan_id
    left join currencies
        on plans.currency_code = currencies.currency_code
    left join versions_in_force
        on
            parts.contract_id = versions_in_force.contract_id
            and parts.period_start_date = versions_in_force.period_start_date
            and versions_in_force.version_rank = 1
    where parts.part_start_date < parts.part_end_date
)

select * from final
