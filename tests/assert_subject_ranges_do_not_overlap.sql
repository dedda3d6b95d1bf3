{#- Each subject has at most one identity range at any instant. The links of one table
    are checked by assert_identity_links_do_not_overlap; this catches one identifier used
    in two tables (an API key id that is also a workspace id, say), whose usage would
    otherwise be billed once per range. Returns the overlapping pairs, naming the subject. -#}

with

subject_timeline as (
    select * from {{ ref('int_identity_subject_timeline') }}
),

overlapping_ranges as (
    select
        earlier.subject,
        earlier.subject_type as first_subject_type,
        later.subject_type as second_subject_type,
        earlier.valid_from as first_valid_from,
        later.valid_from as second_valid_from
    from subject_timeline as earlier
    inner join subject_timeline as later
        on
            earlier.subject = later.subject
            and earlier.valid_from <= later.valid_from
            and earlier.subject_range_id <> later.subject_range_id
            and later.valid_from < earlier.valid_to
),

final as (
    select
        *,
        'subject ' || subject || ' has overlapping identity ranges (' || first_subject_type
        || ' from ' || cast(first_valid_from as varchar) || ', ' || second_subject_type
        || ' from ' || cast(second_valid_from as varchar) || ')' as failure_message
    from overlapping_ranges
)

select * from final
