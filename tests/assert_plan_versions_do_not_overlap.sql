{#- Two versions of one plan starting on the same day would both be "in force on the
    period's first day" (docs/price-book.md, validation rule 9): the build fails naming both. -#}

with

plan_versions as (
    select * from {{ ref('plan_versions') }}
),

overlapping as (
    select
        earlier.plan_id,
        earlier.plan_version_id as first_plan_version_id,
        later.plan_version_id as second_plan_version_id,
        earlier.effective_from_date
    from plan_versions as earlier
    inner join plan_versions as later
        on
            earlier.plan_id = later.plan_id
            and earlier.effective_from_date = later.effective_from_date
            and earlier.plan_version_id < later.plan_version_id
),

final as (
    select
        'plan_versions' as seed_name,
        second_plan_version_id as row_key,
        'plan_versions ' || first_plan_version_id || ' and ' || second_plan_version_id || ' of plan '
        || plan_id || ' both start on ' || cast(effective_from_date as varchar) as failure_message
    from overlapping
)

select * from final
