{#- One row per UTC day from the first day of the earliest period with usage to the day of
    the as-of instant: the days a gauge's held value is spread over. Portable: a cross join
    of digits, no generate_series. -#}

with

events as (
    select * from {{ ref('stg_raw__usage_events') }}
),

bounds as (
    select
        {{ tally.period_start('min(occurred_at)') }} as first_date,
        cast({{ tally.as_of(ref('stg_raw__usage_events')) }} as date) as last_date
    from events
    where occurred_at is not null
),

day_offsets as (
    {{ tally.whole_numbers(4, 'day_offset') }}
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
