{#- Every rejected event, one row per landed row, with its PRICING.md reason code and the
    row as received. A row quarantined only as unmapped_subject is billed by the next build
    after its mapping is added (the classification is rebuilt from staging every build). -#}

with

classified as (
    select * from {{ ref('int_events_classified') }}
),

staged as (
    select * from {{ ref('stg_raw__usage_events') }}
),

quarantined as (
    select
        raw_row_id,
        status_reason as quarantine_reason,
        billing_account_id
    from classified
    where event_status = 'quarantined' and is_event_row
),

final as (
    select
        quarantined.raw_row_id,
        quarantined.quarantine_reason,
        staged.period_start_date,
        staged.event_id,
        staged.occurred_at,
        staged.received_at,
        staged.subject,
        staged.event_type,
        staged.occurred_at_text,
        staged.received_at_text,
        staged.subject_text,
        staged.properties_text,
        staged.raw_record,
        staged.load_error,
        staged.file_name,
        staged.line_number,
        staged.loaded_at
    from quarantined
    inner join staged
        on quarantined.raw_row_id = staged.raw_row_id
)

select * from final
