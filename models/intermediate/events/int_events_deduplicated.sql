{#- Every staged row with the first parse check or duplicate verdict that applies to it
    (PRICING.md, "Checks, in order", up to duplicates). A row that cannot be split, parsed
    or lacks a field is `malformed` / `missing_field`. Among the parsed rows of one event
    id, rows equal in every field but received_at are one delivery: the earliest received
    is kept and the others are `duplicate_delivery`; when any field differs (compared after
    normalisation: instants as UTC, properties as parsed JSON), every row of the event id is
    `conflicting_duplicate`. Rows with no verdict go on to be metered. -#}

with

staged as {{ tally.inline_cte() }} (
    select * from {{ ref('stg_raw__usage_events') }}
),

checked as {{ tally.inline_cte() }} (
    select
        raw_row_id,
        event_id,
        occurred_at,
        received_at,
        subject,
        event_type,
        properties,
        period_start_date,
        delivery_fingerprint,
        case
            when is_unsplittable then 'malformed'
            when has_missing_field then 'missing_field'
            when has_unparseable_value then 'malformed'
        end as parse_rejection_reason
    from staged
),

parsed as {{ tally.inline_cte() }} (
    select * from checked
    where parse_rejection_reason is null
),

repeated_event_keys as (
    -- Event ids that occur more than once, found through a 64-bit hash of the id: finding
    -- the repeats among 20M integers costs a fraction of grouping the texts. A collision
    -- only sends a few more rows down the exact comparison below, which groups by the id
    -- itself.
    {{ tally.keys_occurring_more_than_once(tally.row_fingerprint(['event_id']), 'parsed') }}
),

repeated_rows as (
    select
        raw_row_id,
        event_id,
        occurred_at,
        received_at,
        subject,
        event_type,
        properties,
        delivery_fingerprint,
        count(*) over (partition by event_id) as delivery_count,
        coalesce(
            min(delivery_fingerprint) over (partition by event_id)
            = max(delivery_fingerprint) over (partition by event_id)
            and count(delivery_fingerprint) over (partition by event_id)
            = count(*) over (partition by event_id),
            false
        ) as has_one_text,
        row_number() over (
            partition by event_id
            order by received_at, raw_row_id
        ) as delivery_rank
    from parsed
    where {{ tally.row_fingerprint(['event_id']) }} in (select repeated_key from repeated_event_keys)
),

repeated_fingerprinted as (
    -- Deliveries with the same text are the same delivery; only an event id whose texts
    -- differ has its properties compared as parsed JSON (keys sorted, numbers by value).
    select
        raw_row_id,
        event_id,
        delivery_rank,
        case
            when has_one_text then delivery_fingerprint
            else {{ tally.row_fingerprint([
                'occurred_at',
                'subject',
                'event_type',
                tally.canonical_properties('properties'),
            ]) }}
        end as canonical_fingerprint
    from repeated_rows
    where delivery_count > 1
),

repeated_verdicts as (
    select
        raw_row_id,
        case
            when
                min(canonical_fingerprint) over (partition by event_id)
                <> max(canonical_fingerprint) over (partition by event_id)
                then 'conflicting_duplicate'
            when delivery_rank > 1 then 'duplicate_delivery'
        end as duplicate_rejection_reason
    from repeated_fingerprinted
),

final as (
    select
        checked.raw_row_id,
        checked.event_id,
        checked.occurred_at,
        checked.received_at,
        checked.subject,
        checked.event_type,
        checked.properties,
        checked.period_start_date,
        coalesce(
            checked.parse_rejection_reason,
            repeated_verdicts.duplicate_rejection_reason
        ) as rejection_reason
    from checked
    left join repeated_verdicts
        on checked.raw_row_id = repeated_verdicts.raw_row_id
)

select * from final
