{{ config(contract={'enforced': true}) }}

{#- Billable quantity per billing account, meter, UTC day and dimension values: what the
    rating reads (so that a period can be split at a contract's start date). The quantity of
    a day is the meter's aggregation over that day: count and sum are the day's totals, max
    and min its extremes, latest the last value in the tie order, unique_count the distinct
    values that day (the period's distinct count comes from the events, not from days), and
    a time-weighted gauge its time-weighted mean over the day, summed over the account's
    subjects. -#}

with

summarised as (
    select * from {{ ref('int_events_summarised') }}
),

gauge_daily_values as (
    select * from {{ ref('int_gauge_daily_values') }}
),

meters as (
    select * from {{ ref('meters') }}
),

counted as {{ tally.inline_cte() }} (
    select * from summarised
    where is_counted and aggregation <> 'time_weighted_average'
),

aggregated as (
    select
        billing_account_id,
        meter_id,
        usage_date,
        dimension_key,
        dimension_1_value,
        dimension_2_value,
        dimension_3_value,
        aggregation,
        sum(row_count) as event_count,
        case
            when aggregation = 'sum' then sum(quantity_sum)
            when aggregation = 'max' then max(quantity_max)
            when aggregation = 'min' then min(quantity_min)
            when aggregation = 'unique_count' then count(distinct distinct_value)
            else sum(row_count)
        end as quantity
    from counted
    where aggregation <> 'latest'
    group by
        billing_account_id,
        meter_id,
        usage_date,
        dimension_key,
        dimension_1_value,
        dimension_2_value,
        dimension_3_value,
        aggregation
),

latest_ranked as (
    select
        billing_account_id,
        meter_id,
        usage_date,
        dimension_key,
        dimension_1_value,
        dimension_2_value,
        dimension_3_value,
        quantity,
        sum(row_count) over (
            partition by billing_account_id, meter_id, usage_date, dimension_key
        ) as event_count,
        row_number() over (
            partition by billing_account_id, meter_id, usage_date, dimension_key
            order by occurred_at desc, received_at desc, event_id desc
        ) as recency_rank
    from counted
    where aggregation = 'latest'
),

gauges as (
    select
        billing_account_id,
        meter_id,
        usage_date,
        dimension_key,
        dimension_1_value,
        dimension_2_value,
        dimension_3_value,
        count(distinct event_id) as event_count,
        {{ tally.divide('sum(quantity_microseconds)', 86400000000) }} as quantity
    from gauge_daily_values
    group by
        billing_account_id,
        meter_id,
        usage_date,
        dimension_key,
        dimension_1_value,
        dimension_2_value,
        dimension_3_value
),

unioned as (
    select
        billing_account_id,
        meter_id,
        usage_date,
        dimension_key,
        dimension_1_value,
        dimension_2_value,
        dimension_3_value,
        event_count,
        quantity
    from aggregated
    union all
    select
        billing_account_id,
        meter_id,
        usage_date,
        dimension_key,
        dimension_1_value,
        dimension_2_value,
        dimension_3_value,
        event_count,
        quantity
    from latest_ranked
    where recency_rank = 1
    union all
    select
        billing_account_id,
        meter_id,
        usage_date,
        dimension_key,
        dimension_1_value,
        dimension_2_value,
        dimension_3_value,
        event_count,
        quantity
    from gauges
),

final as (
    select
        cast(
            unioned.billing_account_id || '|' || unioned.meter_id || '|'
            || cast(unioned.usage_date as varchar) || '|' || unioned.dimension_key
            as varchar
        ) as usage_daily_id,
        cast(unioned.billing_account_id as varchar) as billing_account_id,
        cast(unioned.meter_id as varchar) as meter_id,
        cast(meters.aggregation as varchar) as aggregation,
        cast(unioned.usage_date as date) as usage_date,
        cast({{ tally.period_start('unioned.usage_date') }} as date) as period_start_date,
        cast(unioned.dimension_key as varchar) as dimension_key,
        cast(meters.group_by_1 as varchar) as dimension_1_name,
        cast(unioned.dimension_1_value as varchar) as dimension_1_value,
        cast(meters.group_by_2 as varchar) as dimension_2_name,
        cast(unioned.dimension_2_value as varchar) as dimension_2_value,
        cast(meters.group_by_3 as varchar) as dimension_3_name,
        cast(unioned.dimension_3_value as varchar) as dimension_3_value,
        cast(unioned.quantity as {{ tally.quantity_type() }}) as usage_quantity,
        cast(unioned.event_count as bigint) as event_count,
        cast(meters.unit as varchar) as unit
    from unioned
    inner join meters
        on unioned.meter_id = meters.meter_id
)

select * from final
