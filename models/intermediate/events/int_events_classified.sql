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
    -#}

{%- set property_names = tally.meter_property_names(ref('meters')) %}
{%- set slot_count = tally.meter_slot_count(ref('meters')) %}
{#- Each meter column naming a property, and the slot its position is kept under. -#}
{%- set property_slots = [
    ('filter_1', 'filter_property_1'),
    ('filter_2', 'filter_property_2'),
    ('status', 'status_property'),
    ('value', 'value_property'),
    ('group_by_1', 'group_by_1'),
    ('group_by_2', 'group_by_2'),
    ('group_by_3', 'group_by_3'),
] %}
{#- What a meter slot carries of its meter (collapses_retries aside, a boolean). -#}
{%- set slot_columns = [
    'meter_id', 'aggregation',
    'filter_property_1', 'filter_values_1', 'filter_1_position',
    'filter_property_2', 'filter_values_2', 'filter_2_position',
    'status_property', 'success_values', 'status_position',
    'value_property', 'value_divisor', 'value_position',
    'group_by_1', 'group_by_1_position',
    'group_by_2', 'group_by_2_position',
    'group_by_3', 'group_by_3_position',
] %}
{%- set request_id_position = (
    (property_names.index('request_id') + 1) | string
    if 'request_id' in property_names else 'cast(null as integer)'
) %}

with

events as (
    select * from {{ ref('int_events_deduplicated') }}
),

event_types as (
    select * from {{ ref('event_types') }}
),

meters as (
    select * from {{ ref('meters') }}
),

subject_timeline as (
    select * from {{ ref('int_identity_subject_timeline') }}
),

metered_event_types as (
    select distinct event_type from meters
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
            when metered_event_types.event_type is null then 'filtered'
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
            when metered_event_types.event_type is null then 'no_meter_for_event_type'
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
    left join metered_event_types
        on events.event_type = metered_event_types.event_type
    left join subject_timeline
        on
            events.rejection_reason is null
            and events.subject = subject_timeline.subject
            and events.occurred_at >= subject_timeline.valid_from
            and events.occurred_at < subject_timeline.valid_to
),

{%- if property_names %}

property_positions as (
    -- Where each property meters read sits in the attributed row's property_texts list.
    {%- for name in property_names %}
        select
            '{{ name }}' as property_name,
            {{ loop.index }} as property_position
        {{- "\n        union all" if not loop.last }}
    {%- endfor %}
),
{%- endif %}

slotted_meters as (
    -- Each meter's slot among its event type's meters, in meter_id order.
    select
        meters.*,
        {%- for slot, column in property_slots %}
            {% if property_names -%}
                {{ slot }}_position.property_position
            {%- else -%}
                cast(null as integer)
            {%- endif %} as {{ slot }}_position,
        {%- endfor %}
        row_number() over (partition by meters.event_type order by meters.meter_id) as meter_slot,
        count(*) over (partition by meters.event_type) as meter_count
    from meters
    {%- if property_names %}
        {%- for slot, column in property_slots %}
            left join property_positions as {{ slot }}_position
                on meters.{{ column }} = {{ slot }}_position.property_name
        {%- endfor %}
    {%- endif %}
),

event_type_slots_pivoted as (
    -- One row per metered event type with its meters side by side, so that a row meets all
    -- its meters in one row: no row per meter is made before the verdict is known.
    select
        event_type,
        {%- for meter_slot in range(1, slot_count + 1) %}
            {%- for column in slot_columns %}
                max(case when meter_slot = {{ meter_slot }} then {{ column }} end)
                    as slot_{{ meter_slot }}_{{ column }},
            {%- endfor %}
            max(case when meter_slot = {{ meter_slot }} and collapses_retries then 1 else 0 end) = 1
                as slot_{{ meter_slot }}_collapses_retries,
        {%- endfor %}
        max(meter_count) as meter_count
    from slotted_meters
    group by event_type
),

event_type_slots as (
    -- Filter values and success values as lists, split once per event type rather than
    -- compared as text for every row.
    select
        {%- for meter_slot in range(1, slot_count + 1) %}
            {%- for column in ['filter_values_1', 'filter_values_2', 'success_values'] %}
                {{ tally.split_pipe_list('slot_' ~ meter_slot ~ '_' ~ column) }}
                    as slot_{{ meter_slot }}_{{ column }}_list,
            {%- endfor %}
        {%- endfor %}
        event_type_slots_pivoted.*
    from event_type_slots_pivoted
),

{%- set texts_column = 'attributed.property_texts' if property_names else none %}

filter_matched as {{ tally.inline_cte() }} (
    -- Rows still to be counted, and valid test rows (a gauge's test reading sets its state),
    -- meet every meter of their event type, slot by slot: first, whether each meter's
    -- filters match. A row decided before metering meets no meter (meter_count null).
    select
        attributed.*,
        event_type_slots.meter_count,
        {%- for meter_slot in range(1, slot_count + 1) %}
            {%- set prefix = 'event_type_slots.slot_' ~ meter_slot ~ '_' %}
            {%- for column in slot_columns %}
                {{ prefix }}{{ column }},
            {%- endfor %}
            {{ prefix }}collapses_retries,
            coalesce(
                {{ prefix }}meter_id is not null
                {%- for filter in [1, 2] %}
                    and (
                        {{ prefix }}filter_property_{{ filter }} is null
                        or {{ tally.list_has_text(
                            prefix ~ 'filter_values_' ~ filter ~ '_list',
                            tally.meter_slot_property(meter_slot, 'filter_' ~ filter, 'filter_property_' ~ filter, texts_column),
                        ) }}
                    )
                {%- endfor %},
                false
            ) as slot_{{ meter_slot }}_is_filter_match,
            coalesce(
                {{ prefix }}collapses_retries
                and {{ tally.list_has_text(
                    prefix ~ 'success_values_list',
                    tally.meter_slot_property(meter_slot, 'status', 'status_property', texts_column),
                ) }},
                false
            ) as slot_{{ meter_slot }}_has_success_status,
            {%- for group_by in [1, 2, 3] %}
                {{ tally.meter_slot_property(meter_slot, 'group_by_' ~ group_by, 'group_by_' ~ group_by, texts_column) }}
                    as slot_{{ meter_slot }}_read_dimension_{{ group_by }}_value,
            {%- endfor %}
        {%- endfor %}
        case
            when {{ tally.any_meter_slot('event_type_slots.slot_<n>_collapses_retries', slot_count) }}
                then {{ tally.json_get_text(
                    'attributed.properties', "'request_id'", texts_column, request_id_position,
                ) }}
        end as read_request_id
    from attributed
    left join event_type_slots
        on
            attributed.event_type = event_type_slots.event_type
            and (attributed.premeter_status is null or attributed.premeter_reason = 'test_traffic')
),

metered as {{ tally.materialized_cte() }} (
    -- What each meter whose filters match reads; nothing for a meter whose filters do not
    -- match. Its value (a number, or a unique_count's canonical text) is read by name as
    -- JSON, only for the rows it matches; everything else compares as text from the row's
    -- one parse. Only the columns later steps need are kept (this CTE is buffered: retry
    -- collapse and the verdict both read it).
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
        meter_count,
        {%- for meter_slot in range(1, slot_count + 1) %}
            {%- set prefix = 'slot_' ~ meter_slot ~ '_' %}
            {{ prefix }}meter_id,
            {{ prefix }}aggregation,
            {{ prefix }}group_by_1,
            {{ prefix }}group_by_2,
            {{ prefix }}group_by_3,
            {{ prefix }}is_filter_match,
            {{ prefix }}collapses_retries and {{ prefix }}is_filter_match as {{ prefix }}collapses,
            not {{ prefix }}collapses_retries or {{ prefix }}has_success_status as {{ prefix }}is_success,
            case
                when not {{ prefix }}is_filter_match then null
                when {{ prefix }}aggregation = 'count' then cast(1 as {{ tally.quantity_type() }})
                when {{ prefix }}aggregation <> 'unique_count' and {{ prefix }}value_divisor is null
                    then {{ tally.json_value_number(tally.json_get_value('properties', prefix ~ 'value_property')) }}
                when {{ prefix }}aggregation <> 'unique_count'
                    then {{ tally.divide(tally.json_value_number(tally.json_get_value('properties', prefix ~ 'value_property')), prefix ~ 'value_divisor') }}
            end as {{ prefix }}quantity,
            case
                when {{ prefix }}aggregation = 'unique_count' and {{ prefix }}is_filter_match
                    then {{ tally.json_value_canonical_text(tally.json_get_value('properties', prefix ~ 'value_property')) }}
            end as {{ prefix }}distinct_value,
            {%- for group_by in [1, 2, 3] %}
                case
                    when {{ prefix }}group_by_{{ group_by }} is not null and {{ prefix }}is_filter_match
                        then {{ prefix }}read_dimension_{{ group_by }}_value
                end as {{ prefix }}dimension_{{ group_by }}_value,
            {%- endfor %}
        {%- endfor %}
        case
            when {{ tally.any_meter_slot('(slot_<n>_collapses_retries and slot_<n>_is_filter_match)', slot_count) }}
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
    -- type, subject and request id (grouping integers costs a fraction of grouping the
    -- texts; a collision only ranks a few more rows, exactly).
    select {{ tally.row_fingerprint(['event_type', 'subject', 'request_id']) }} as request_key
    from metered
    where request_id is not null
    group by {{ tally.row_fingerprint(['event_type', 'subject', 'request_id']) }}
    having count(*) > 1
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
        and {{ tally.row_fingerprint(['event_type', 'subject', 'request_id']) }}
        in (select request_key from retry_requests_repeated)
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
            case
                when {{ prefix }}aggregation = 'count' then true
                when {{ prefix }}aggregation = 'unique_count' then {{ prefix }}distinct_value is not null
                else coalesce({{ prefix }}quantity >= 0, false)
            end as slot_{{ meter_slot }}_has_valid_quantity,
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
        {{ tally.of_meter_slot('meter_id', slot_count) }} as meter_id,
        {{ tally.of_meter_slot('aggregation', slot_count) }} as aggregation,
        coalesce({{ tally.of_meter_slot('is_chosen', slot_count) }}, false) as is_chosen,
        coalesce({{ tally.of_meter_slot('has_valid_quantity', slot_count) }}, false) as has_valid_quantity,
        {{ tally.of_meter_slot('quantity', slot_count) }} as quantity,
        {{ tally.of_meter_slot('distinct_value', slot_count) }} as distinct_value,
        {%- for group_by in [1, 2, 3] %}
            {{ tally.of_meter_slot('group_by_' ~ group_by, slot_count) }} as group_by_{{ group_by }},
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
    where metered_rows.is_event_row or metered_rows.is_filter_match
)

select * from final
