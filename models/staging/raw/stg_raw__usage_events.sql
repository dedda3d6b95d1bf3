{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='raw_row_id',
        on_schema_change='fail',
        contract={'enforced': target.type == 'duckdb'},
    )
}}

{#- Light-touch staging of the landed usage events: types, UTC instants, normalised
    subjects, properties checked once to be a JSON object (tally.parse_json_object; absent,
    blank or JSON null properties are `{}`: tally.empty_object_when_absent). No row is
    dropped or decided here: checks, deduplication and quarantine are the int_events_*
    models. The texts as received stay in the raw table only (the quarantine reads them
    back by raw_row_id): staging is the widest write of the event path, so it keeps only
    what later models read. Incremental on received_at: a build re-reads the rows received
    within the lookback window before the latest already staged, and any row loaded since
    the last build. On DuckDB the contract (_raw__models.yml) is how each text column's
    compression is declared: the table is created with its columns, then filled. -#}

with

landed as (
    select
        event_id as event_id_text,
        occurred_at as occurred_at_text,
        received_at as received_at_text,
        subject as subject_text,
        event_type as event_type_text,
        properties as properties_text,
        _file_name,
        _file_sha256,
        _line_number,
        _loaded_at,
        _load_error
    from {{ source('raw', 'usage_events') }}
    {% if is_incremental() %}
        where
            {{ tally.parse_utc_timestamp('received_at') }} >= (
                select
                    {{ dbt.dateadd('hour', -1 * var('tally_lookback_hours'), 'max(received_at)') }}
                from {{ this }}
            )
            or _loaded_at > (select max(loaded_at) from {{ this }})
    {% endif %}
),

typed as (
    select
        _file_sha256 || ':' || cast(_line_number as varchar) as raw_row_id,
        nullif(event_id_text, '') as event_id,
        {{ tally.parse_utc_timestamp('occurred_at_text') }} as occurred_at,
        {{ tally.parse_utc_timestamp('received_at_text') }} as received_at,
        {{ tally.normalise_subject("nullif(subject_text, '')") }} as subject,
        nullif(event_type_text, '') as event_type,
        {{ tally.parse_json_object(tally.empty_object_when_absent('properties_text')) }} as properties,
        occurred_at_text,
        properties_text,
        _load_error as load_error,
        _file_name as file_name,
        _line_number as line_number,
        _loaded_at as loaded_at
    from landed
),

final as (
    select
        raw_row_id,
        event_id,
        occurred_at,
        received_at,
        subject,
        event_type,
        properties,
        load_error is not null as is_unsplittable,
        (
            event_id is null
            or nullif(occurred_at_text, '') is null
            or subject is null
            or event_type is null
        ) as has_missing_field,
        (
            (nullif(occurred_at_text, '') is not null and occurred_at is null)
            or received_at is null
            or properties is null
        ) as has_unparseable_value,
        {{ tally.period_start("coalesce(occurred_at, received_at, loaded_at)") }}
            as period_start_date,
        {{ tally.row_fingerprint(['occurred_at', 'subject', 'event_type', 'properties_text']) }}
            as delivery_fingerprint,
        file_name,
        line_number,
        loaded_at
    from typed
)

select * from final
