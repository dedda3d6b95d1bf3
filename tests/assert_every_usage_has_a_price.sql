{#- Usage is never billed at zero (PRICING.md "Prices and contracts in detail"; docs/price-book.md
    "Checked when rating"). The invoice run stops, naming the account and meter, when:
    usage of an account has no contract in force on its day (gauge time with no contract
    is billed to nobody and is not an error); a contract's part has usage of a meter with
    no price in force; a keyed group has neither its keyed price nor the meter's unkeyed
    one; or a contract's plan has no version in force on a period's first day (with or
    without usage). Usage after
    the as-of period is rated by a later run and not checked here. -#}

with

usage_daily as (
    select * from {{ ref('fct_usage_daily') }}
),

contract_periods as (
    select * from {{ ref('int_contract_periods') }}
),

prices_in_force as (
    select * from {{ ref('int_prices_in_force') }}
),

as_of as (
    select
        cast({{ dbt.dateadd('month', 1, tally.period_start(tally.as_of(ref('stg_raw__usage_events')))) }} as date)
            as horizon_date
),

uncontracted as (
    select
        usage_daily.billing_account_id,
        usage_daily.meter_id,
        min(usage_daily.usage_date) as first_usage_date,
        count(*) as usage_days
    from usage_daily
    cross join as_of
    left join contract_periods
        on
            usage_daily.billing_account_id = contract_periods.billing_account_id
            and usage_daily.usage_date >= contract_periods.part_start_date
            and usage_daily.usage_date < contract_periods.part_end_date
    where
        contract_periods.contract_period_id is null
        and usage_daily.aggregation <> 'time_weighted_average'
        and usage_daily.usage_date < as_of.horizon_date
    group by
        usage_daily.billing_account_id,
        usage_daily.meter_id
),

part_usage as (
    select distinct
        contract_periods.contract_period_id,
        contract_periods.billing_account_id,
        contract_periods.contract_id,
        contract_periods.period_start_date,
        contract_periods.plan_version_id,
        usage_daily.meter_id,
        usage_daily.dimension_1_name,
        usage_daily.dimension_1_value,
        usage_daily.dimension_2_name,
        usage_daily.dimension_2_value,
        usage_daily.dimension_3_name,
        usage_daily.dimension_3_value
    from usage_daily
    inner join contract_periods
        on
            usage_daily.billing_account_id = contract_periods.billing_account_id
            and usage_daily.usage_date >= contract_periods.part_start_date
            and usage_daily.usage_date < contract_periods.part_end_date
),

meter_prices as (
    select
        contract_period_id,
        meter_id,
        max(meter_key_name) as meter_key_name,
        max(case when not is_keyed then 1 else 0 end) as has_unkeyed_price
    from prices_in_force
    group by
        contract_period_id,
        meter_id
),

part_groups as (
    select distinct
        part_usage.*,
        meter_prices.meter_id as priced_meter_id,
        meter_prices.meter_key_name,
        meter_prices.has_unkeyed_price,
        case
            when meter_prices.meter_key_name = part_usage.dimension_1_name then part_usage.dimension_1_value
            when meter_prices.meter_key_name = part_usage.dimension_2_name then part_usage.dimension_2_value
            when meter_prices.meter_key_name = part_usage.dimension_3_name then part_usage.dimension_3_value
        end as group_value
    from part_usage
    left join meter_prices
        on
            part_usage.contract_period_id = meter_prices.contract_period_id
            and part_usage.meter_id = meter_prices.meter_id
),

unpriced as (
    select distinct
        part_groups.billing_account_id,
        part_groups.contract_id,
        part_groups.period_start_date,
        part_groups.meter_id,
        case
            when part_groups.plan_version_id is null then 'the plan has no version in force on the period''s first day'
            when part_groups.priced_meter_id is null then 'has usage but no price'
            else 'has no price for ' || part_groups.meter_key_name || '=' || coalesce(part_groups.group_value, '<null>')
        end as problem
    from part_groups
    left join prices_in_force as keyed_prices
        on
            part_groups.contract_period_id = keyed_prices.contract_period_id
            and part_groups.meter_id = keyed_prices.meter_id
            and keyed_prices.is_keyed
            and part_groups.group_value = keyed_prices.dimension_value
    where
        part_groups.plan_version_id is null
        or part_groups.priced_meter_id is null
        or (part_groups.has_unkeyed_price = 0 and keyed_prices.price_in_force_id is null)
),

versionless as (
    select
        billing_account_id,
        contract_id,
        plan_id,
        period_start_date
    from contract_periods
    where plan_version_id is null
),

final as (
    select
        billing_account_id,
        meter_id,
        'billing account ' || billing_account_id || ': usage of meter ' || meter_id || ' from '
        || cast(first_usage_date as varchar) || ' (' || cast(usage_days as varchar)
        || ' days) has no contract in force (never billed at zero)' as failure_message
    from uncontracted
    union all
    select
        billing_account_id,
        meter_id,
        'billing account ' || billing_account_id || ' (contract ' || contract_id || ', period '
        || cast(period_start_date as varchar) || '): meter ' || meter_id || ' ' || problem as failure_message
    from unpriced
    union all
    select
        billing_account_id,
        cast(null as varchar) as meter_id,
        'billing account ' || billing_account_id || ' (contract ' || contract_id || ', period '
        || cast(period_start_date as varchar) || '): plan ' || plan_id
        || ' has no version in force on the period''s first day' as failure_message
    from versionless
)

select * from final
