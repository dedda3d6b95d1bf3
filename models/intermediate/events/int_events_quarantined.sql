{#- Every rejected event, one row per landed row, with its PRICING.md reason code and the
    row as received, read back from the raw table by the row's file and line (staging keeps
    only typed values, and int_events_summarised keeps every quarantined row whole with
    those). A row quarantined only as unmapped_subject is billed by the next build after
    its mapping is added (the classification is rebuilt from staging every build). -#}

with

summarised as (
    select * from {{ ref('int_events_summarised') }}
),

quarantined as (
    -- Everything about the row the classification knows; its file and line come from its
    -- raw_row_id (file sha256 ':' line), which locates the row as received.
    select
        raw_row_id,
        status_reason as quarantine_reason,
        period_start_date,
        event_id,
        occurred_at,
        received_at,
        subject,
        event_type,
        {{ dbt.split_part('raw_row_id', "':'", 1) }} as file_sha256,
        cast({{ dbt.split_part('raw_row_id', "':'", 2) }} as bigint) as line_number
    from summarised
    where event_status = 'quarantined' and is_event_row
),

landed as (
    -- The raw rows of the quarantined lines only: the line numbers, a narrow column, are
    -- matched first, so that the texts are read for those rows alone (reading every text
    -- of the raw table cost 8.5 s at 20M, this 2.4 s). The join below matches file and line.
    select * from {{ source('raw', 'usage_events') }}
    where _line_number in (select line_number from quarantined)
),

final as (
    select
        quarantined.raw_row_id,
        quarantined.quarantine_reason,
        quarantined.period_start_date,
        quarantined.event_id,
        quarantined.occurred_at,
        quarantined.received_at,
        quarantined.subject,
        quarantined.event_type,
        landed.occurred_at as occurred_at_text,
        landed.received_at as received_at_text,
        landed.subject as subject_text,
        landed.properties as properties_text,
        landed._raw_record as raw_record,
        landed._load_error as load_error,
        landed._file_name as file_name,
        quarantined.line_number,
        landed._loaded_at as loaded_at
    from quarantined
    inner join landed
        on
            quarantined.file_sha256 = landed._file_sha256
            and quarantined.line_number = landed._line_number
)

select * from final
