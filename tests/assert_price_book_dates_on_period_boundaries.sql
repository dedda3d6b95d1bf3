{#- Dates that say when a term starts or stops pricing fall on the first day of a period
    (docs/price-book.md, validation rules 8 and 12): plan versions, overrides, discounts and
    minimum spends (effective_from_date, effective_to_date; an end after its start); a
    commitment's first term starts on its contract's start date (any day), each later term
    on the first of the month term_months after the previous term's start month, and no
    term at or after the contract's end (term_months at least 1). A credit grant's expiry
    is after its effective date. Contracts may start and end on any day. Each failing row
    names the seed, the row and the date. -#}

{%- set ranged_seeds = [
    ('contract_prices', 'price_id'),
    ('discounts', 'discount_id'),
    ('minimum_spends', 'minimum_spend_id'),
] -%}

with

contracts as (
    select * from {{ ref('contracts') }}
),

commitments as (
    select * from {{ ref('commitments') }}
),

commitment_terms as (
    select * from {{ ref('commitment_terms') }}
),

ordered_terms as (
    select
        commitment_terms.commitment_id,
        commitment_terms.term_number,
        commitment_terms.term_start_date,
        commitments.term_months,
        contracts.contract_id,
        contracts.start_date as contract_start_date,
        contracts.end_date as contract_end_date,
        lag(commitment_terms.term_start_date) over (
            partition by commitment_terms.commitment_id
            order by commitment_terms.term_number
        ) as previous_term_start_date,
        row_number() over (
            partition by commitment_terms.commitment_id
            order by commitment_terms.term_number
        ) as term_rank
    from commitment_terms
    inner join commitments
        on commitment_terms.commitment_id = commitments.commitment_id
    inner join contracts
        on commitments.contract_id = contracts.contract_id
),

failures as (
    select
        'plan_versions' as seed_name,
        plan_version_id as row_key,
        'effective_from_date ' || cast(effective_from_date as varchar) || ' is not the first day of a month' as problem
    from {{ ref('plan_versions') }}
    where
        effective_from_date is null
        or cast({{ tally.period_start('effective_from_date') }} as date) <> effective_from_date

    {%- for seed_name, key_column in ranged_seeds %}

        union all

        select
            '{{ seed_name }}' as seed_name,
            {{ key_column }} as row_key,
            case
                when
                    effective_from_date is null
                    or cast({{ tally.period_start('effective_from_date') }} as date) <> effective_from_date
                    then
                        'effective_from_date ' || coalesce(cast(effective_from_date as varchar), '(empty)')
                        || ' is not the first day of a month'
                when cast({{ tally.period_start('effective_to_date') }} as date) <> effective_to_date
                    then 'effective_to_date ' || cast(effective_to_date as varchar) || ' is not the first day of a month'
                when effective_to_date <= effective_from_date
                    then
                        'effective_to_date ' || cast(effective_to_date as varchar) || ' is not after effective_from_date '
                        || cast(effective_from_date as varchar)
            end as problem
        from {{ ref(seed_name) }}
    {%- endfor %}

    union all

    select
        'commitments' as seed_name,
        commitment_id as row_key,
        'term_months ' || coalesce(cast(term_months as varchar), '(empty)') || ' is below 1' as problem
    from commitments
    where term_months is null or term_months < 1

    union all

    select
        'commitment_terms' as seed_name,
        commitment_id || '|' || cast(term_number as varchar) as row_key,
        case
            when term_rank = 1 and term_start_date <> contract_start_date
                then
                    'term_start_date ' || cast(term_start_date as varchar)
                    || ' is not the start date ' || cast(contract_start_date as varchar) || ' of contract ' || contract_id
            when
                term_rank > 1
                and term_start_date
                <> cast({{ dbt.dateadd('month', 'term_months', tally.period_start('previous_term_start_date')) }} as date)
                then
                    'term_start_date ' || cast(term_start_date as varchar)
                    || ' is not the first of the month ' || cast(term_months as varchar)
                    || ' months after the previous term''s start ' || cast(previous_term_start_date as varchar)
            when term_start_date >= contract_end_date
                then
                    'term_start_date ' || cast(term_start_date as varchar)
                    || ' is at or after the end ' || cast(contract_end_date as varchar) || ' of contract ' || contract_id
        end as problem
    from ordered_terms

    union all

    select
        'credit_grants' as seed_name,
        grant_id as row_key,
        'expiry_date ' || cast(expiry_date as varchar) || ' is not after effective_date '
        || cast(effective_date as varchar) as problem
    from {{ ref('credit_grants') }}
    where expiry_date <= effective_date
),

final as (
    select
        seed_name,
        row_key,
        seed_name || ' ' || row_key || ': ' || problem as failure_message
    from failures
    where problem is not null
)

select * from final
