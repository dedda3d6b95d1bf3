{#- Integrity from events to usage: the counted events of every meter that is not a gauge
    appear in fct_usage_daily's event counts, no more, no fewer (no fan-out, nothing lost).
    Returns the account, meter and day where they differ. -#}

with

classified as (
    select * from {{ ref('int_events_classified') }}
),

usage_daily as (
    select * from {{ ref('fct_usage_daily') }}
),

counted as (
    select
        billing_account_id,
        meter_id,
        usage_date,
        dimension_key,
        count(*) as counted_events
    from classified
    where is_counted and aggregation <> 'time_weighted_average'
    group by billing_account_id, meter_id, usage_date, dimension_key
),

final as (
    select
        coalesce(counted.billing_account_id, usage_daily.billing_account_id) as billing_account_id,
        coalesce(counted.meter_id, usage_daily.meter_id) as meter_id,
        coalesce(counted.usage_date, usage_daily.usage_date) as usage_date,
        counted.counted_events,
        usage_daily.event_count
    from counted
    full outer join usage_daily
        on
            counted.billing_account_id = usage_daily.billing_account_id
            and counted.meter_id = usage_daily.meter_id
            and counted.usage_date = usage_daily.usage_date
            and counted.dimension_key = usage_daily.dimension_key
    where usage_daily.aggregation is null or usage_daily.aggregation <> 'time_weighted_average'
)

select * from final
where counted_events is null or event_count is null or counted_events <> event_count
