{#- One row per UTC day from the first day of the period of the earliest gauge reading to
    the day of the as-of instant: the days a gauge's held value is spread over. The start
    is the earliest reading that sets a gauge's state, not the earliest event: one stray
    timestamp decades old on any other event (a client clock at 1970, say) would stretch
    the calendar for nothing. Portable: a cross join of digits, no generate_series, up to
    100,000 days (273 years); assert_calendar_days_span_the_gauge_readings fails the
    build should a span ever need more. -#}

with

summarised as (
    select * from {{ ref('int_events_summarised') }}
),

gauge_states as (
    select occurred_at from summarised
    where is_gauge_state
),

bounds as (
    select
        {{ tally.period_start('min(occurred_at)') }} as first_date,
        cast({{ tally.as_of(ref('stg_raw__usage_events')) }} as date) as last_date
    from gauge_states
),

day_offsets as (
    {{ tally.whole_numbers(5, 'day_offset') }}
),

days as (
    select
        cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'bounds.first_date') }} as date)
            as calendar_date
    from bounds
    cross join day_offsets
    where day_offsets.day_offset <= {{ dbt.datediff('bounds.first_date', 'bounds.last_date', 'day') }}
),

final as (
    select
        calendar_date,
        cast(calendar_date as timestamp) as day_start_at,
        cast({{ dbt.dateadd('day', 1, 'calendar_date') }} as timestamp) as day_end_at,
        {{ tally.period_start('calendar_date') }} as period_start_date
    from days
)

select * from final
