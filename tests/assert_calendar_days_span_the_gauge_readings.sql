{#- Gauge time is spread over int_calendar_days: a day missing from it would drop the time
    held that day without a word. The calendar must hold every day from the first day of
    the period of the earliest gauge reading to the as-of day, each once. Returns a row
    when it does not. -#}

with

calendar_days as (
    select * from {{ ref('int_calendar_days') }}
),

summarised as (
    select * from {{ ref('int_events_summarised') }}
),

expected as (
    select
        {{ tally.period_start('min(occurred_at)') }} as first_date,
        cast({{ tally.as_of(ref('stg_raw__usage_events')) }} as date) as last_date
    from summarised
    where is_gauge_state
),

spanned as (
    select
        min(calendar_date) as first_date,
        max(calendar_date) as last_date,
        count(*) as day_count,
        count(distinct calendar_date) as distinct_day_count
    from calendar_days
),

final as (
    select
        expected.first_date as expected_first_date,
        expected.last_date as expected_last_date,
        spanned.first_date,
        spanned.last_date,
        spanned.day_count,
        'the calendar spans ' || coalesce(cast(spanned.first_date as varchar), '(nothing)')
        || ' to ' || coalesce(cast(spanned.last_date as varchar), '(nothing)')
        || ', the gauge readings need ' || cast(expected.first_date as varchar)
        || ' to ' || cast(expected.last_date as varchar) as failure_message
    from expected
    cross join spanned
    where
        expected.first_date is not null
        and expected.first_date <= expected.last_date
        and (
            spanned.first_date is null
            or spanned.first_date <> expected.first_date
            or spanned.last_date <> expected.last_date
            or spanned.distinct_day_count <> spanned.day_count
            or spanned.day_count
            <> {{ dbt.datediff('expected.first_date', 'expected.last_date', 'day') }} + 1
        )
)

select * from final
