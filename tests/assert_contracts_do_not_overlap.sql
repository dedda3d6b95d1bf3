{#- An account has at most one contract in force at any instant (PRICING.md; docs/price-book.md,
    validation rule 10): two contracts of one account overlapping, or a contract whose
    end_date is not after its start_date, fail the build naming them. -#}

with

contracts as (
    select * from {{ ref('contracts') }}
),

overlapping as (
    select
        later.contract_id as row_key,
        'contracts ' || earlier.contract_id || ' and ' || later.contract_id || ' of billing account '
        || earlier.billing_account_id || ' overlap (from ' || cast(later.start_date as varchar) || ')' as problem
    from contracts as earlier
    inner join contracts as later
        on
            earlier.billing_account_id = later.billing_account_id
            and earlier.contract_id <> later.contract_id
            and (
                earlier.start_date < later.start_date
                or (earlier.start_date = later.start_date and earlier.contract_id < later.contract_id)
            )
            and (earlier.end_date is null or later.start_date < earlier.end_date)
),

backwards as (
    select
        contract_id as row_key,
        'contract ' || contract_id || ': end_date ' || cast(end_date as varchar) || ' is not after start_date '
        || cast(start_date as varchar) as problem
    from contracts
    where end_date <= start_date
),

final as (
    select
        'contracts' as seed_name,
        row_key,
        problem as failure_message
    from overlapping
    union all
    select
        'contracts' as seed_name,
        row_key,
        problem as failure_message
    from backwards
)

select * from final
