{#- Time-weighted gauges (GB stored): each reading holds, per subject and dimension
    values, until the next reading (across day and period boundaries) or the as-of instant;
    of two readings at one instant the later in the tie order holds. The held value belongs,
    instant by instant, to the account the subject is linked to then: a move splits it, and
    time while the subject is unmapped or test is billed to nobody. One row per (piece of
    holding, day): its value x microseconds held that day, then the account's daily value
    is the time-weighted mean over the UTC day (fct_usage_daily sums the subjects). -#}

with

summarised as (
    select * from {{ ref('int_events_summarised') }}
),

subject_timeline as (
    select * from {{ ref('int_identity_subject_timeline') }}
),

calendar_days as (
    select * from {{ ref('int_calendar_days') }}
),

readings as (
    select
        event_id,
        meter_id,
        subject,
        dimension_1_value,
        dimension_2_value,
        dimension_3_value,
        dimension_key,
        occurred_at,
        received_at,
        quantity as held_quantity
    from summarised
    where is_gauge_state
),

holdings as (
    select
        readings.*,
        readings.occurred_at as held_from,
        lead(readings.occurred_at) over (
            partition by readings.meter_id, readings.subject, readings.dimension_key
            order by readings.occurred_at, readings.received_at, readings.event_id
        ) as next_reading_at
    from readings
),

as_of as (
    select {{ tally.as_of(ref('stg_raw__usage_events')) }} as as_of_at
),

held as (
    -- A reading holds until the next one or the as-of instant, whichever comes first (the
    -- as-of when there is no next one): a next reading may lie after the as-of (occurred_at
    -- up to the future tolerance after its receipt), and usage to date stops at the as-of.
    select
        holdings.*,
        {{ tally.earlier_of('holdings.next_reading_at', 'as_of.as_of_at') }} as held_to
    from holdings
    cross join as_of
),

attributed_holdings as (
    select
        held.event_id,
        held.meter_id,
        held.subject,
        held.dimension_1_value,
        held.dimension_2_value,
        held.dimension_3_value,
        held.dimension_key,
        held.held_quantity,
        subject_timeline.billing_account_id,
        {{ tally.later_of('held.held_from', 'subject_timeline.valid_from') }} as piece_from,
        {{ tally.earlier_of('held.held_to', 'subject_timeline.valid_to') }} as piece_to
    from held
    inner join subject_timeline
        on
            held.subject = subject_timeline.subject
            and held.held_from < subject_timeline.valid_to
            and subject_timeline.valid_from < held.held_to
            and not subject_timeline.is_test
),

daily_pieces as (
    select
        attributed_holdings.*,
        calendar_days.calendar_date as usage_date,
        calendar_days.period_start_date,
        {{ dbt.datediff(
            tally.later_of('attributed_holdings.piece_from', 'calendar_days.day_start_at'),
            tally.earlier_of('attributed_holdings.piece_to', 'calendar_days.day_end_at'),
            'microsecond',
        ) }} as held_microseconds
    from attributed_holdings
    inner join calendar_days
        on
            attributed_holdings.piece_from < calendar_days.day_end_at
            and calendar_days.day_start_at < attributed_holdings.piece_to
),

final as (
    select
        event_id,
        meter_id,
        subject,
        billing_account_id,
        usage_date,
        period_start_date,
        dimension_1_value,
        dimension_2_value,
        dimension_3_value,
        dimension_key,
        held_quantity,
        held_microseconds,
        cast(held_quantity * held_microseconds as {{ tally.quantity_type() }})
            as quantity_microseconds
    from daily_pieces
    where held_microseconds > 0
)

select * from final
