{#- Nothing is silently dropped: in every period, landed = billed + filtered + duplicate +
    quarantined, the quarantine reasons add up to the quarantined rows, and every landed
    row was classified exactly once. Returns the periods that do not add up. -#}

with

reconciliation as (
    select * from {{ ref('fct_event_reconciliation') }}
),

final as (
    select
        period_start_date,
        landed_count,
        billed_count + filtered_count + duplicate_count + quarantined_count as accounted_count,
        quarantined_count,
        {% for reason in var('tally_quarantine_reasons') -%}
            {{ reason }}_count{{ ' + ' if not loop.last }}
        {%- endfor %} as quarantined_by_reason_count,
        classified_count,
        'period ' || cast(period_start_date as varchar) || ' does not add up' as failure_message
    from reconciliation
)

select * from final
where
    landed_count <> accounted_count
    or quarantined_count <> quarantined_by_reason_count
    or classified_count <> landed_count
