{#- The classification as the later models read it, written in one pass over
    int_events_classified (a view: writing a row per landed row and meter cost more than
    classifying them, DECISIONLOG "Metering at 20M events"). A (landed row, meter) that a
    later model reads one by one is kept whole, with its event columns: quarantined rows
    (the quarantine), gauge states (int_gauge_daily_values), and the counted rows of latest
    and unique_count meters and of meters with a percentage price (their quantity comes
    from the events themselves). Every other (landed row, meter) is counted into its group
    of period, day, account, meter, verdict and dimension values, whose event columns are
    null: row_count rows, quantity_sum, quantity_max and quantity_min of their quantities.
    A row kept whole is a group of one. The dimension key is written once per group, from
    the meter's group-by names, rather than once per landed row: it follows from the meter
    and the dimension values, which are grouped on. -#}

with

classified as {{ tally.inline_cte() }} (
    select * from {{ ref('int_events_classified') }}
),

plan_prices as (
    select * from {{ ref('prices') }}
),

contract_prices as (
    select * from {{ ref('contract_prices') }}
),

meters as (
    select * from {{ ref('meters') }}
),

percentage_priced_meters as (
    select meter_id from plan_prices
    where charge_model = 'percentage'
    union
    select meter_id from contract_prices
    where charge_model = 'percentage'
),

flagged as {{ tally.inline_cte() }} (
    select
        *,
        coalesce(
            event_status = 'quarantined'
            or is_gauge_state
            or (
                is_counted
                and (
                    aggregation in ('latest', 'unique_count')
                    or meter_id in (select meter_id from percentage_priced_meters)
                )
            ),
            false
        ) as is_kept_whole
    from classified
),

grouped as (
    -- Grouped by every column but the counts: a row kept whole keeps its raw_row_id and
    -- meter, so it is a group of one.
    select
        period_start_date,
        usage_date,
        billing_account_id,
        meter_id,
        aggregation,
        event_type,
        event_status,
        status_reason,
        is_event_row,
        is_counted,
        is_gauge_state,
        is_kept_whole,
        dimension_1_value,
        dimension_2_value,
        dimension_3_value,
        case when is_kept_whole then raw_row_id end as raw_row_id,
        case when is_kept_whole then event_id end as event_id,
        case when is_kept_whole then subject end as subject,
        case when is_kept_whole then subject_range_id end as subject_range_id,
        case when is_kept_whole then occurred_at end as occurred_at,
        case when is_kept_whole then received_at end as received_at,
        case when is_kept_whole then quantity end as quantity,
        case when is_kept_whole then distinct_value end as distinct_value,
        count(*) as row_count,
        cast(sum(quantity) as {{ tally.quantity_type() }}) as quantity_sum,
        cast(max(quantity) as {{ tally.quantity_type() }}) as quantity_max,
        cast(min(quantity) as {{ tally.quantity_type() }}) as quantity_min
    from flagged
    group by all
),

group_by_names as (
    select
        meter_id,
        nullif(group_by_1, '') as group_by_1,
        nullif(group_by_2, '') as group_by_2,
        nullif(group_by_3, '') as group_by_3
    from meters
),

final as (
    -- The dimension key of each group, from its meter's group-by names.
    select
        grouped.*,
        case
            when grouped.meter_id is not null
                then {{ tally.dimension_key('group_by_names', 'grouped') }}
        end as dimension_key
    from grouped
    left join group_by_names
        on grouped.meter_id = group_by_names.meter_id
)

select * from final
