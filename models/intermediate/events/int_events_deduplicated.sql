{#- Every staged row with the first parse check or duplicate verdict that applies to it
    (PRICING.md, "Checks, in order", up to duplicates). A row that cannot be split, parsed
    or lacks a field is `malformed` / `missing_field`. Among the parsed rows of one event
    id, rows equal in every field but received_at are one delivery: the earliest received
    is kept and the others are `duplicate_delivery`; when any field differs (compared after
    normalisation: instants as UTC, properties as parsed JSON), every row of the event id is
    `conflicting_duplicate`. Rows with no verdict go on to be metered. -#}

with

staged as (
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

repeated_event_ids as (
    select event_id
    from parsed
    group by event_id
    having count(*) > 1
),

repeated_rows as (
    select
        parsed.raw_row_id,
        parsed.event_id,
        parsed.received_at,
        {{ tally.row_fingerprint([
            'parsed.occurred_at',
            'parsed.subject',
            'parsed.event_type',
            tally.canonical_properties('parsed.properties'),
        ]) }} as canonical_fingerprint
    from parsed
    inner join repeated_event_ids
        on parsed.event_id = repeated_event_ids.event_id
),

repeated_verdicts as (
    select
        raw_row_id,
        case
            when
                min(canonical_fingerprint) over (partition by event_id)
                <> max(canonical_fingerprint) over (partition by event_id)
                then 'conflicting_duplicate'
            when
                row_number() over (
                    partition by event_id
                    order by received_at, raw_row_id
                ) > 1
                then 'duplicate_delivery'
        end as duplicate_rejection_reason
    from repeated_rows
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
