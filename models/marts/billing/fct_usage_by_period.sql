{{ config(contract={'enforced': true}) }}

{#- Billable quantity per billing account, meter, billing period (calendar month, UTC) and
    dimension values, before any contract is applied (rating splits a period at a contract
    boundary from fct_usage_daily). count and sum add the days; max and min take the
    extremes; latest the last day's value; unique_count counts the distinct values over
    the period; a time-weighted gauge sums its daily values and divides by the days in the
    period (GB-month), or keeps the sum for a meter whose gauge unit is the day (GB-day). -#}

with

usage_daily as (
    select * from {{ ref('fct_usage_daily') }}
),

summarised as (
    select * from {{ ref('int_events_summarised') }}
),

meters as (
    select * from {{ ref('meters') }}
),

period_totals as (
    select
        usage_daily.billing_account_id,
        usage_daily.meter_id,
        usage_daily.aggregation,
        usage_daily.period_start_date,
        usage_daily.dimension_key,
        usage_daily.dimension_1_name,
        usage_daily.dimension_1_value,
        usage_daily.dimension_2_name,
        usage_daily.dimension_2_value,
        usage_daily.dimension_3_name,
        usage_daily.dimension_3_value,
        usage_daily.unit,
        meters.gauge_time_unit,
        sum(usage_daily.usage_quantity) as summed_quantity,
        max(usage_daily.usage_quantity) as max_quantity,
        min(usage_daily.usage_quantity) as min_quantity,
        max(usage_daily.usage_date) as last_usage_date,
        sum(usage_daily.event_count) as event_count,
        count(*) as days_with_usage
    from usage_daily
    inner join meters
        on usage_daily.meter_id = meters.meter_id
    group by
        usage_daily.billing_account_id,
        usage_daily.meter_id,
        usage_daily.aggregation,
        usage_daily.period_start_date,
        usage_daily.dimension_key,
        usage_daily.dimension_1_name,
        usage_daily.dimension_1_value,
        usage_daily.dimension_2_name,
        usage_daily.dimension_2_value,
        usage_daily.dimension_3_name,
        usage_daily.dimension_3_value,
        usage_daily.unit,
        meters.gauge_time_unit
),

latest_values as (
    select
        usage_daily.billing_account_id,
        usage_daily.meter_id,
        usage_daily.usage_date,
        usage_daily.dimension_key,
        usage_daily.usage_quantity
    from usage_daily
    where usage_daily.aggregation = 'latest'
),

distinct_counts as (
    select
        billing_account_id,
        meter_id,
        period_start_date,
        dimension_key,
        count(distinct distinct_value) as distinct_count
    from summarised
    where is_counted and aggregation = 'unique_count'
    group by
        billing_account_id,
        meter_id,
        period_start_date,
        dimension_key
),

final as (
    select
        cast(
            period_totals.billing_account_id || '|' || period_totals.meter_id || '|'
            || cast(period_totals.period_start_date as varchar) || '|'
            || period_totals.dimension_key
            as varchar
        ) as usage_period_id,
        cast(period_totals.billing_account_id as varchar) as billing_account_id,
        cast(period_totals.meter_id as varchar) as meter_id,
        cast(period_totals.aggregation as varchar) as aggregation,
        cast(period_totals.period_start_date as date) as period_start_date,
        cast(period_totals.dimension_key as varchar) as dimension_key,
        cast(period_totals.dimension_1_name as varchar) as dimension_1_name,
        cast(period_totals.dimension_1_value as varchar) as dimension_1_value,
        cast(period_totals.dimension_2_name as varchar) as dimension_2_name,
        cast(period_totals.dimension_2_value as varchar) as dimension_2_value,
        cast(period_totals.dimension_3_name as varchar) as dimension_3_name,
        cast(period_totals.dimension_3_value as varchar) as dimension_3_value,
        cast(
            case
                when period_totals.aggregation in ('count', 'sum') then period_totals.summed_quantity
                when period_totals.aggregation = 'max' then period_totals.max_quantity
                when period_totals.aggregation = 'min' then period_totals.min_quantity
                when period_totals.aggregation = 'latest' then latest_values.usage_quantity
                when period_totals.aggregation = 'unique_count' then distinct_counts.distinct_count
                when period_totals.gauge_time_unit = 'day' then period_totals.summed_quantity
                else {{ tally.divide(
                    'period_totals.summed_quantity',
                    dbt.datediff(
                        'period_totals.period_start_date',
                        dbt.dateadd('month', 1, 'period_totals.period_start_date'),
                        'day',
                    ),
                ) }}
            end
            as {{ tally.quantity_type() }}
        ) as usage_quantity,
        cast(period_totals.event_count as bigint) as event_count,
        cast(period_totals.days_with_usage as integer) as days_with_usage,
        cast(period_totals.unit as varchar) as unit
    from period_totals
    left join latest_values
        on
            period_totals.billing_account_id = latest_values.billing_account_id
            and period_totals.meter_id = latest_values.meter_id
            and period_totals.dimension_key = latest_values.dimension_key
            and period_totals.last_usage_date = latest_values.usage_date
    left join distinct_counts
        on
            period_totals.billing_account_id = distinct_counts.billing_account_id
            and period_totals.meter_id = distinct_counts.meter_id
            and period_totals.period_start_date = distinct_counts.period_start_date
            and period_totals.dimension_key = distinct_counts.dimension_key
)

select * from final
