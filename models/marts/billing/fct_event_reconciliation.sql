{{ config(contract={'enforced': true}) }}

{#- Nothing is silently dropped: per billing period, the rows landed (counted from
    staging) and where each went: billed, filtered, removed as duplicate deliveries, or
    quarantined, by reason. The test assert_event_reconciliation_adds_up fails the build
    when landed <> billed + filtered + duplicates + quarantined. A row's period is that of
    its occurred_at, or of its received_at when it has no usable occurred_at. -#}

with

staged as (
    select * from {{ ref('stg_raw__usage_events') }}
),

summarised as (
    select * from {{ ref('int_events_summarised') }}
),

landed as (
    select
        period_start_date,
        count(*) as landed_count
    from staged
    group by period_start_date
),

outcomes as (
    select
        period_start_date,
        {%- for status in ['billed', 'filtered', 'duplicate', 'quarantined'] %}
            sum(case when event_status = '{{ status }}' then row_count else 0 end) as {{ status }}_count,
        {%- endfor %}
        {%- for reason in var('tally_quarantine_reasons') %}
            sum(case when event_status = 'quarantined' and status_reason = '{{ reason }}' then row_count else 0 end)
                as {{ reason }}_count,
        {%- endfor %}
        sum(row_count) as classified_count
    from summarised
    where is_event_row
    group by period_start_date
),

final as (
    select
        cast(landed.period_start_date as date) as period_start_date,
        cast(landed.landed_count as bigint) as landed_count,
        {%- for status in ['billed', 'filtered', 'duplicate', 'quarantined'] %}
            cast(coalesce(outcomes.{{ status }}_count, 0) as bigint) as {{ status }}_count,
        {%- endfor %}
        {%- for reason in var('tally_quarantine_reasons') %}
            cast(coalesce(outcomes.{{ reason }}_count, 0) as bigint) as {{ reason }}_count,
        {%- endfor %}
        cast(coalesce(outcomes.classified_count, 0) as bigint) as classified_count
    from landed
    left join outcomes
        on landed.period_start_date = outcomes.period_start_date
)

select * from final
