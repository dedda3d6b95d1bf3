{#- The decision for every landed row, and for the rows that meters count, what they count:
    one row per (landed row, meter of its event type whose filters match it), at least one
    per landed row (the event type's last meter's, when none matches), or one row with no
    meter for a row decided before metering. PRICING.md's checks after duplicates, in order:
    unknown_event_type -> filtered (declared type no meter counts) -> future_timestamp ->
    unmapped_subject (no billing account at occurred_at) -> filtered (test or internal
    traffic) -> filtered (no meter's filter matches, or a retry attempt not chosen) ->
    invalid_quantity -> billed. A row takes the first reason that applies, whatever meters
    it feeds. This is the one materialised pass over the events after staging: the usage
    marts, the quarantine and the reconciliation all read it. -#}

{%- set property_names = tally.meter_property_names(ref('meters')) %}
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
                    then {{ tally.json_get_values('events.properties', property_names) }}
            end as property_values,
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
    -- Where each property meters read sits in the attributed row's property_values list.
    {%- for name in property_names %}
        select
            '{{ name }}' as property_name,
            {{ loop.index }} as property_position
        {{- "\n        union all" if not loop.last }}
    {%- endfor %}
),
{%- endif %}

meter_counts as (
    select
        event_type,
        count(*) as meter_count,
        max(meter_id) as last_meter_id
    from meters
    group by event_type
),

positioned_meters as (
    select
        meters.*,
        meter_counts.meter_count,
        meter_counts.last_meter_id,
        {%- for slot, column in property_slots %}
            {% if property_names -%}
                {{ slot }}_position.property_position
            {%- else -%}
                cast(null as integer)
            {%- endif %} as {{ slot }}_position,
        {%- endfor %}
        {% if 'request_id' in property_names -%}
            {{ property_names.index('request_id') + 1 }}
        {%- else -%}
            cast(null as integer)
        {%- endif %} as request_id_position
    from meters
    inner join meter_counts
        on meters.event_type = meter_counts.event_type
    {%- if property_names %}
        {%- for slot, column in property_slots %}
            left join property_positions as {{ slot }}_position
                on meters.{{ column }} = {{ slot }}_position.property_name
        {%- endfor %}
    {%- endif %}
),

{%- set values_column = 'attributed.property_values' if property_names else none %}

meter_candidates as {{ tally.inline_cte() }} (
    -- Rows still to be counted, and valid test rows (a gauge's test reading sets its state),
    -- meet every meter of their event type; first, whether the meter's filters match. A row
    -- decided before metering meets no meter (meter_id null) and flows on with its verdict:
    -- one flow, so that no CTE holding the properties of every row is read twice (DuckDB
    -- would buffer it). Each value a meter reads comes from the one parse of the row's
    -- properties (property_values) where it can.
    select
        attributed.raw_row_id,
        attributed.event_id,
        attributed.event_type,
        attributed.subject,
        attributed.occurred_at,
        attributed.received_at,
        attributed.period_start_date,
        attributed.billing_account_id,
        attributed.subject_range_id,
        attributed.premeter_status,
        attributed.premeter_reason,
        attributed.properties,
        {%- if property_names %}
            attributed.property_values,
        {%- endif %}
        positioned_meters.meter_count,
        positioned_meters.last_meter_id,
        positioned_meters.meter_id,
        positioned_meters.aggregation,
        positioned_meters.collapses_retries,
        positioned_meters.status_property,
        positioned_meters.status_position,
        positioned_meters.success_values,
        positioned_meters.value_property,
        positioned_meters.value_position,
        positioned_meters.value_divisor,
        positioned_meters.request_id_position,
        {%- for slot in [1, 2, 3] %}
            positioned_meters.group_by_{{ slot }},
            positioned_meters.group_by_{{ slot }}_position,
        {%- endfor %}
        coalesce(
            {%- for slot in [1, 2] %}
                (
                    positioned_meters.filter_property_{{ slot }} is null
                    or {{ dbt.position(
                        "'|' || " ~ tally.json_value_text(tally.json_get_value(
                            'attributed.properties',
                            'positioned_meters.filter_property_' ~ slot,
                            values_column,
                            'positioned_meters.filter_' ~ slot ~ '_position',
                        )) ~ " || '|'",
                        "'|' || positioned_meters.filter_values_" ~ slot ~ " || '|'",
                    ) }} > 0
                ){{ " and" if slot == 1 }}
            {%- endfor %},
            false
        ) as is_filter_match
    from attributed
    left join positioned_meters
        on
            attributed.event_type = positioned_meters.event_type
            and (attributed.premeter_status is null or attributed.premeter_reason = 'test_traffic')
),

{%- set values_column = 'property_values' if property_names else none %}

metered as {{ tally.materialized_cte() }} (
    -- What each matching meter reads from the properties; nothing is read for a meter whose
    -- filters do not match. Only the few columns later steps need are kept (this CTE is
    -- buffered: retry collapse and the verdict both read it).
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
        meter_id,
        aggregation,
        is_filter_match,
        coalesce(
            not collapses_retries
            or (
                is_filter_match
                and {{ dbt.position(
                    "'|' || " ~ tally.json_value_text(tally.json_get_value(
                        'properties', 'status_property', values_column, 'status_position',
                    )) ~ " || '|'",
                    "'|' || success_values || '|'",
                ) }} > 0
            ),
            false
        ) as is_success,
        case
            when collapses_retries and is_filter_match
                then {{ tally.json_value_text(tally.json_get_value(
                    'properties', "'request_id'", values_column, 'request_id_position',
                )) }}
        end as request_id,
        case
            when not is_filter_match then null
            when aggregation = 'count' then cast(1 as {{ tally.quantity_type() }})
            when aggregation <> 'unique_count' and value_divisor is null
                then {{ tally.json_value_number(tally.json_get_value(
                    'properties', 'value_property', values_column, 'value_position',
                )) }}
            when aggregation <> 'unique_count'
                then {{ tally.divide(
                    tally.json_value_number(tally.json_get_value(
                        'properties', 'value_property', values_column, 'value_position',
                    )),
                    'value_divisor',
                ) }}
        end as quantity,
        case
            when aggregation = 'unique_count' and is_filter_match
                then {{ tally.json_value_canonical_text(tally.json_get_value(
                    'properties', 'value_property', values_column, 'value_position',
                )) }}
        end as distinct_value,
        {%- for slot in [1, 2, 3] %}
            case
                when group_by_{{ slot }} is not null and is_filter_match
                    then {{ tally.json_value_text(tally.json_get_value(
                        'properties', 'group_by_' ~ slot, values_column, 'group_by_' ~ slot ~ '_position',
                    )) }}
            end as dimension_{{ slot }}_value,
        {%- endfor %}
        group_by_1,
        group_by_2,
        group_by_3
    from meter_candidates
    -- A meter whose filters do not match counts nothing and reads nothing; its row is kept
    -- only for the event type's last meter, so that a row no meter matches still has one
    -- row to carry its verdict.
    where
        meter_id is null
        or is_filter_match
        or meter_id = last_meter_id
),

retry_requests_repeated as (
    -- Retry collapse: attempts sharing a request_id (within one subject and one meter, so one
    -- event type) count once, as the first successful attempt in the tie order; with no
    -- success, none counts. A row with no request_id is a request of its own. Most requests
    -- are attempted once, and a single attempt counts when it succeeded: only requests
    -- attempted more than once are ranked. They are found through a 64-bit hash of meter,
    -- subject and request id (grouping integers costs a fraction of grouping the texts; a
    -- collision only ranks a few more rows, exactly).
    select {{ tally.row_fingerprint(['meter_id', 'subject', 'request_id']) }} as request_key
    from metered
    where
        request_id is not null
        and is_filter_match
    group by {{ tally.row_fingerprint(['meter_id', 'subject', 'request_id']) }}
    having count(*) > 1
),

retry_attempts_ranked as (
    select
        meter_id,
        event_id,
        row_number() over (
            partition by meter_id, subject, request_id
            order by is_success desc, occurred_at asc, received_at asc, event_id asc
        ) as attempt_rank
    from metered
    where
        request_id is not null
        and is_filter_match
        and {{ tally.row_fingerprint(['meter_id', 'subject', 'request_id']) }}
        in (select request_key from retry_requests_repeated)
),

collapsed_attempts as {{ tally.inline_cte() }} (
    select
        metered.*,
        case
            when metered.aggregation = 'count' then true
            when metered.aggregation = 'unique_count' then metered.distinct_value is not null
            else coalesce(metered.quantity >= 0, false)
        end as has_valid_quantity,
        metered.is_filter_match
        and metered.is_success
        and coalesce(retry_attempts_ranked.attempt_rank = 1, true) as is_chosen
    from metered
    left join retry_attempts_ranked
        on
            metered.meter_id = retry_attempts_ranked.meter_id
            and metered.event_id = retry_attempts_ranked.event_id
),

collapsed as {{ tally.inline_cte() }} (
    select
        *,
        case when is_filter_match then 1 else 0 end as filter_match_flag,
        case when is_chosen then 1 else 0 end as chosen_flag,
        case when is_chosen and not has_valid_quantity then 1 else 0 end as invalid_quantity_flag
    from collapsed_attempts
),

verdicts_over_meters as (
    -- A row's verdict over all its meters, for the event types with several meters (an
    -- event id is unique among the rows metered: duplicates are decided before). Grouped on
    -- these few columns and joined back, not windowed over every column.
    select
        event_id,
        max(filter_match_flag) as has_filter_match,
        max(chosen_flag) as is_chosen_by_a_meter,
        max(invalid_quantity_flag) as has_invalid_quantity,
        coalesce(min(case when filter_match_flag = 1 then meter_id end), min(meter_id))
            as event_row_meter_id
    from collapsed
    where meter_count > 1
    group by event_id
),

row_verdicts as (
    select
        collapsed.*,
        coalesce(verdicts_over_meters.has_filter_match, collapsed.filter_match_flag) as has_filter_match,
        coalesce(verdicts_over_meters.is_chosen_by_a_meter, collapsed.chosen_flag) as is_chosen_by_a_meter,
        coalesce(verdicts_over_meters.has_invalid_quantity, collapsed.invalid_quantity_flag)
            as has_invalid_quantity,
        coalesce(collapsed.meter_id = verdicts_over_meters.event_row_meter_id, true) as is_event_row
    from collapsed
    left join verdicts_over_meters
        on collapsed.event_id = verdicts_over_meters.event_id
),

metered_rows as (
    select
        row_verdicts.raw_row_id,
        row_verdicts.event_id,
        row_verdicts.event_type,
        row_verdicts.subject,
        row_verdicts.occurred_at,
        row_verdicts.received_at,
        row_verdicts.period_start_date,
        row_verdicts.billing_account_id,
        row_verdicts.subject_range_id,
        case
            when row_verdicts.premeter_status is not null then row_verdicts.premeter_status
            when not row_verdicts.has_filter_match then 'filtered'
            when not row_verdicts.is_chosen_by_a_meter then 'filtered'
            when row_verdicts.has_invalid_quantity then 'quarantined'
            else 'billed'
        end as event_status,
        case
            when row_verdicts.premeter_status is not null then row_verdicts.premeter_reason
            when not row_verdicts.has_filter_match then 'no_meter_filter_match'
            when not row_verdicts.is_chosen_by_a_meter then 'retry_attempt_not_chosen'
            when row_verdicts.has_invalid_quantity then 'invalid_quantity'
        end as status_reason,
        row_verdicts.is_event_row,
        row_verdicts.meter_id,
        row_verdicts.aggregation,
        row_verdicts.is_chosen,
        row_verdicts.has_valid_quantity,
        row_verdicts.quantity,
        row_verdicts.distinct_value,
        row_verdicts.dimension_1_value,
        row_verdicts.dimension_2_value,
        row_verdicts.dimension_3_value,
        case
            when row_verdicts.meter_id is not null then {{ tally.dimension_key('row_verdicts') }}
        end as dimension_key
    from row_verdicts
    -- A meter whose filters do not match the row counts nothing: its row is kept only when
    -- it is the row's event row (no meter matched).
    where row_verdicts.is_event_row or row_verdicts.is_filter_match
),

final as (
    select
        raw_row_id,
        event_id,
        event_type,
        subject,
        occurred_at,
        received_at,
        period_start_date,
        cast(occurred_at as date) as usage_date,
        billing_account_id,
        subject_range_id,
        event_status,
        status_reason,
        is_event_row,
        meter_id,
        aggregation,
        event_status = 'billed' and is_chosen as is_counted,
        coalesce(aggregation = 'time_weighted_average', false)
        and is_chosen
        and has_valid_quantity
        and (event_status = 'billed' or status_reason = 'test_traffic') as is_gauge_state,
        quantity,
        distinct_value,
        dimension_1_value,
        dimension_2_value,
        dimension_3_value,
        dimension_key
    from metered_rows
)

select * from final
