{#- The staging of usage events is incremental: it must still hold every landed row, once.
    Returns a row when the counts differ. -#}

with

landed as (
    select count(*) as landed_count from {{ source('raw', 'usage_events') }}
),

staged as (
    select count(*) as staged_count from {{ ref('stg_raw__usage_events') }}
),

final as (
    select
        landed.landed_count,
        staged.staged_count,
        'raw.usage_events has ' || cast(landed.landed_count as varchar)
        || ' rows but staging has ' || cast(staged.staged_count as varchar) as failure_message
    from landed
    cross join staged
)

select * from final
where landed_count <> staged_count
