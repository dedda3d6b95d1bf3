{#- The decision for every landed row, and for the rows that meters count, what they count:
    one row per (landed row, meter of its event type whose filters match it), at least one
    per landed row (the event type's last meter's, when none matches), or one row with no
    meter for a row decided before metering. PRICING.md's checks after duplicates, in order:
    unknown_event_type -> filtered (declared type no meter counts) -> future_timestamp ->
    unmapped_subject (no billing account at occurred_at) -> filtered (test or internal
    traffic) -> filtered (no meter's filter matches, or a retry attempt not chosen) ->
    invalid_quantity -> billed. A row takes the first reason that applies, whatever meters
    it feeds. A view (the lineage): int_events_summarised computes it once per build.
    A row meets all the meters of its event type side by side, in slots (meter_id order),
    so that its verdict over them is taken within the row; the row per meter is made last.
    The meters are read from the seed when the model compiles (a unit test gives them as
    var('tally_meters')) and each meter's expressions are written out with its constants
    (macros/meter_slots.sql); meters_as_compiled fails a query once the seed has changed
    since. -#}

{%- set classification = tally.compiled_classification(
    tally.compiled_meters(ref('meters'), var('tally_meters', none)),
    'attributed.property_texts',
    'attributed.properties',
) %}
{%- set meters = classification['meters'] %}
{%- set meters_by_event_type = classification['meters_by_event_type'] %}
{%- set property_names = classification['property_names'] %}
{%- set slot_count = classification['slot_count'] %}
{%- set slot_expressions = classification['slot_expressions'] %}
{%- set is_metered_event_type = classification['is_metered_event_type'] %}
{%- set any_meter_collapses_retries = classification['any_meter_collapses_retries'] %}

with

events as (
    select * from {{ ref('int_events_deduplicated') }}
),

event_types as (
    select * from {{ ref('event_types') }}
),

subject_timeline as (
    select * from {{ ref('int_identity_subject_timeline') }}
),

meters_as_compiled as (
    -- The meters seed must hold the meters this model was compiled from (a unit test gives
    -- its meters when compiling instead).
    {{ tally.meters_as_compiled_check(ref('meters'), meters) }}
),

attributed as (
    select
        events.raw_row_id,
        events.event_id,
        events.occurred_at,
        events.received_at,
        events.subject,
        events.event_type,
        events.properties,
        {%- if property_names %}
            case
                when events.rejection_reason is null
                    then {{ tally.json_get_texts('events.properties', property_names) }}
            end as property_texts,
        {%- endif %}
        events.period_start_date,
        subject_timeline.billing_account_id,
        subject_timeline.subject_range_id,
        case
            when events.rejection_reason = 'duplicate_delivery' then 'duplicate'
            when events.rejection_reason is not null then 'quarantined'
            when event_types.event_type is null then 'quarantined'
            when not {{ is_metered_event_type }} then 'filtered'
            when
                events.occurred_at
                > {{ dbt.dateadd('hour', var('tally_future_tolerance_hours'), 'events.received_at') }}
                then 'quarantined'
            when subject_timeline.billing_account_id is null then 'quarantined'
            when subject_timeline.is_test then 'filtered'
        end as premeter_status,
        case
            when events.rejection_reason is not null then events.rejection_reason
            when event_types.event_type is null then 'unknown_event_type'
            when not {{ is_metered_event_type }} then 'no_meter_for_event_type'
            when
                events.occurred_at
                > {{ dbt.dateadd('hour', var('tally_future_tolerance_hours'), 'events.received_at') }}
                then 'future_timestamp'
            when subject_timeline.billing_account_id is null then 'unmapped_subject'
            when subject_timeline.is_test then 'test_traffic'
        end as premeter_reason
    from events
    left join event_types
        on events.event_type = event_types.event_type
    left join subject_timeline
        on
            events.rejection_reason is null
            and events.subject = subject_timeline.subject
            and events.occurred_at >= subject_timeline.valid_from
            and events.occurred_at < subject_timeline.valid_to
),

filter_matched as {{ tally.inline_cte() }} (
    -- Rows still to be counted, and valid test rows (a gauge's test reading sets its state),
    -- meet every meter of their event type, slot by slot, each meter's expressions written
    -- out with its constants (compiled from the meters seed). A row decided before
    -- metering meets no meter (meter_count null).
    select
        attributed.*,
        (attributed.premeter_status is null or attributed.premeter_reason = 'test_traffic')
            as meets_meters,
        case attributed.event_type
            {%- for event_type, event_type_meters in meters_by_event_type.items() %}
                when {{ tally.text_literal(event_type) }} then {{ event_type_meters | length }}
            {%- endfor %}
        end as event_type_meter_count,
        {%- for meter_slot in range(1, slot_count + 1) %}
            {%- for key, default in [
                ('is_filter_match', 'false'),
                ('collapses_retries', 'false'),
                ('is_success', 'true'),
                ('quantity', none),
                ('distinct_value', none),
                ('dimension_1_value', none),
                ('dimension_2_value', none),
                ('dimension_3_value', none),
            ] %}
                {{ tally.meter_slot_case(slot_expressions, meter_slot, key, 'attributed.event_type', default) }}
                    as slot_{{ meter_slot }}_read_{{ key }},
            {%- endfor %}
        {%- endfor %}
        {%- if any_meter_collapses_retries %}
            {{ tally.meter_property_text('request_id', property_names, 'attributed.property_texts', 'attributed.properties') }}
        {%- else %}
            cast(null as {{ dbt.type_string() }})
        {%- endif %} as read_request_id
    from attributed
),

metered as {{ tally.materialized_cte() }} (
    -- What each meter whose filters match reads; nothing for a meter whose filters do not
    -- match, and no meter for a row decided before metering. Only the columns later steps
    -- need are kept (this CTE is buffered: retry collapse and the verdict both read it);
    -- the meters' constants are written out again where the row per meter is made.
    select
        raw_row_id,
        event_id,
        event_type,
        subject,
        occurred_at,
        received_at,
        period_start_date,
        billing_account_id,
        subject_range_id,
        premeter_status,
        premeter_reason,
        case when meets_meters then event_type_meter_count end as meter_count,
        {%- for meter_slot in range(1, slot_count + 1) %}
            {%- set prefix = 'slot_' ~ meter_slot ~ '_' %}
            meets_meters and {{ prefix }}read_is_filter_match as {{ prefix }}is_filter_match,
            meets_meters and {{ prefix }}read_is_filter_match and {{ prefix }}read_collapses_retries
                as {{ prefix }}collapses,
            {{ prefix }}read_is_success as {{ prefix }}is_success,
            {%- for key in ['quantity', 'distinct_value', 'dimension_1_value', 'dimension_2_value', 'dimension_3_value'] %}
                case
                    when meets_meters and {{ prefix }}read_is_filter_match then {{ prefix }}read_{{ key }}
                end as {{ prefix }}{{ key }},
            {%- endfor %}
        {%- endfor %}
        case
            when {{ tally.any_meter_slot(
                '(meets_meters and slot_<n>_read_is_filter_match and slot_<n>_read_collapses_retries)', slot_count,
            ) }}
                then read_request_id
        end as request_id
    from filter_matched
),

retry_requests_repeated as (
    -- Retry collapse: attempts sharing a request_id (within one subject and one meter, so one
    -- event type) count once, as the first successful attempt in the tie order; with no
    -- success, none counts. A row with no request_id is a request of its own. Most requests
    -- are attempted once, and a single attempt counts when it succeeded: only requests
    -- attempted more than once are ranked. They are found through a 64-bit hash of event
    -- type, subject and request id (finding the repeats among integers costs a fraction of
    -- grouping the texts; a collision only ranks a few more rows, exactly).
    {%- set request_key = tally.row_fingerprint(['event_type', 'subject', 'request_id']) %}
    {{ tally.keys_occurring_more_than_once(request_key, 'metered', 'request_id is not null') }}
),

retry_attempts_ranked as (
    -- Each collapsing meter ranks the attempts its filters match (the partition's last key
    -- keeps the attempts it does not match apart, and their rank is dropped).
    select
        {%- for meter_slot in range(1, slot_count + 1) %}
            {%- set prefix = 'slot_' ~ meter_slot ~ '_' %}
            case
                when {{ prefix }}collapses
                    then row_number() over (
                        partition by event_type, subject, request_id, {{ prefix }}collapses
                        order by {{ prefix }}is_success desc, occurred_at asc, received_at asc, event_id asc
                    )
            end as {{ prefix }}attempt_rank,
        {%- endfor %}
        event_id
    from metered
    where
        request_id is not null
        and {{ request_key }}
        in (select repeated_key from retry_requests_repeated)
),

collapsed as {{ tally.inline_cte() }} (
    -- Per meter: whether it chooses the row (filters match, a success, the first successful
    -- attempt of its request) and whether the value it reads is valid.
    select
        {%- for meter_slot in range(1, slot_count + 1) %}
            {%- set prefix = 'metered.slot_' ~ meter_slot ~ '_' %}
            {{ prefix }}is_filter_match
            and {{ prefix }}is_success
            and coalesce(retry_attempts_ranked.slot_{{ meter_slot }}_attempt_rank = 1, true)
                as slot_{{ meter_slot }}_is_chosen,
        {{ tally.meter_slot_case(slot_expressions, meter_slot, 'has_valid_quantity', 'metered.event_type', 'false')
            | replace('<slot>', prefix) }} as slot_{{ meter_slot }}_has_valid_quantity,
        {%- endfor %}
        metered.*
    from metered
    left join retry_attempts_ranked
        on
            metered.request_id is not null
            and metered.event_id = retry_attempts_ranked.event_id
),

row_verdicts as {{ tally.inline_cte() }} (
    -- A row's verdict over all its meters, within the row: some meter's filters match, some
    -- meter chooses it, some choosing meter reads an invalid value. Its event row is its
    -- first matching meter's (in meter_id order), or its event type's last meter's when
    -- none matches.
    select
        *,
        {{ tally.any_meter_slot('slot_<n>_is_filter_match', slot_count) }} as has_filter_match,
        {{ tally.any_meter_slot('slot_<n>_is_chosen', slot_count) }} as is_chosen_by_a_meter,
        {{ tally.any_meter_slot('(slot_<n>_is_chosen and not slot_<n>_has_valid_quantity)', slot_count) }}
            as has_invalid_quantity,
        case
            {%- for meter_slot in range(1, slot_count + 1) %}
                when slot_{{ meter_slot }}_is_filter_match then {{ meter_slot }}
            {%- endfor %}
            else meter_count
        end as event_row_slot
    from collapsed
),

meter_slot_numbers as (
    {%- for meter_slot in range(1, slot_count + 1) %}
        select {{ meter_slot }} as meter_slot
        {{- "\n        union all" if not loop.last }}
    {%- endfor %}
),

row_verdicts_slots as {{ tally.inline_cte() }} (
    -- One row per (row, meter slot of its event type); one row for a row that meets no meter.
    select
        row_verdicts.*,
        meter_slot_numbers.meter_slot
    from row_verdicts
    inner join meter_slot_numbers
        on meter_slot_numbers.meter_slot <= coalesce(row_verdicts.meter_count, 1)
),

metered_rows as (
    select
        raw_row_id,
        event_id,
        event_type,
        subject,
        occurred_at,
        received_at,
        period_start_date,
        billing_account_id,
        subject_range_id,
        case
            when premeter_status is not null then premeter_status
            when not has_filter_match then 'filtered'
            when not is_chosen_by_a_meter then 'filtered'
            when has_invalid_quantity then 'quarantined'
            else 'billed'
        end as event_status,
        case
            when premeter_status is not null then premeter_reason
            when not has_filter_match then 'no_meter_filter_match'
            when not is_chosen_by_a_meter then 'retry_attempt_not_chosen'
            when has_invalid_quantity then 'invalid_quantity'
        end as status_reason,
        coalesce(meter_slot = event_row_slot, true) as is_event_row,
        {{ tally.meter_constant_of_slot(slot_expressions, 'meter_id') }} as meter_id,
        {{ tally.meter_constant_of_slot(slot_expressions, 'aggregation') }} as aggregation,
        coalesce({{ tally.of_meter_slot('is_chosen', slot_count) }}, false) as is_chosen,
        coalesce({{ tally.of_meter_slot('has_valid_quantity', slot_count) }}, false) as has_valid_quantity,
        {{ tally.of_meter_slot('quantity', slot_count) }} as quantity,
        {{ tally.of_meter_slot('distinct_value', slot_count) }} as distinct_value,
        {%- for group_by in [1, 2, 3] %}
            {{ tally.meter_constant_of_slot(slot_expressions, 'group_by_' ~ group_by) }} as group_by_{{ group_by }},
            {{ tally.of_meter_slot('dimension_' ~ group_by ~ '_value', slot_count) }} as dimension_{{ group_by }}_value,
        {%- endfor %}
        coalesce({{ tally.of_meter_slot('is_filter_match', slot_count) }}, false) as is_filter_match
    from row_verdicts_slots
),

final as (
    select
        metered_rows.raw_row_id,
        metered_rows.event_id,
        metered_rows.event_type,
        metered_rows.subject,
        metered_rows.occurred_at,
        metered_rows.received_at,
        metered_rows.period_start_date,
        cast(metered_rows.occurred_at as date) as usage_date,
        metered_rows.billing_account_id,
        metered_rows.subject_range_id,
        metered_rows.event_status,
        metered_rows.status_reason,
        metered_rows.is_event_row,
        metered_rows.meter_id,
        metered_rows.aggregation,
        metered_rows.event_status = 'billed' and metered_rows.is_chosen as is_counted,
        coalesce(metered_rows.aggregation = 'time_weighted_average', false)
        and metered_rows.is_chosen
        and metered_rows.has_valid_quantity
        and (metered_rows.event_status = 'billed' or metered_rows.status_reason = 'test_traffic')
            as is_gauge_state,
        metered_rows.quantity,
        metered_rows.distinct_value,
        metered_rows.dimension_1_value,
        metered_rows.dimension_2_value,
        metered_rows.dimension_3_value,
        case
            when metered_rows.meter_id is not null then {{ tally.dimension_key('metered_rows') }}
        end as dimension_key
    from metered_rows
    -- A meter whose filters do not match the row counts nothing: its row is kept only when
    -- it is the row's event row (no meter matched).
    where
        (metered_rows.is_event_row or metered_rows.is_filter_match)
        {%- if var('tally_meters', none) is none %}
            and (select is_as_compiled from meters_as_compiled) = 1
        {%- endif %}
)

select * from final
