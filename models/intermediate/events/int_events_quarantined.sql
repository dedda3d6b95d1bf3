{#- Every rejected event, one row per landed row, with its PRICING.md reason code and the
    row as received, read back from the raw table by the row's file and line (staging keeps
    only typed values). A row quarantined only as unmapped_subject is billed by the next
    build after its mapping is added (the classification is rebuilt from staging every
    build). -#}

with

classified as (
    select * from {{ ref('int_events_classified') }}
),

staged as (
    select * from {{ ref('stg_raw__usage_events') }}
),

landed as (
    select * from {{ source('raw', 'usage_events') }}
),

quarantined as (
    select
        raw_row_id,
        status_reason as quarantine_reason
    from classified
    where event_status = 'quarantined' and is_event_row
),

quarantined_staged as (
    select
        quarantined.raw_row_id,
        quarantined.quarantine_reason,
        staged.period_start_date,
        staged.event_id,
        staged.occurred_at,
        staged.received_at,
        staged.subject,
        staged.event_type,
        staged.file_name,
        staged.line_number,
        staged.loaded_at,
        {{ dbt.split_part('quarantined.raw_row_id', "':'", 1) }} as file_sha256
    from quarantined
    inner join staged
        on quarantined.raw_row_id = staged.raw_row_id
),

final as (
    select
        quarantined_staged.raw_row_id,
        quarantined_staged.quarantine_reason,
        quarantined_staged.period_start_date,
        quarantined_staged.event_id,
        quarantined_staged.occurred_at,
        quarantined_staged.received_at,
        quarantined_staged.subject,
        quarantined_staged.event_type,
        landed.occurred_at as occurred_at_text,
        landed.received_at as received_at_text,
        landed.subject as subject_text,
        landed.properties as properties_text,
        landed._raw_record as raw_record,
        landed._load_error as load_error,
        quarantined_staged.file_name,
        quarantined_staged.line_number,
        quarantined_staged.loaded_at
    from quarantined_staged
    inner join landed
        on
            quarantined_staged.file_sha256 = landed._file_sha256
            and quarantined_staged.line_number = landed._line_number
)

select * from final
