{{ config(contract={'enforced': true}) }}

{#- Each credit grant's balance over each rated period in which it is in effect (at any
    instant of the period): what it opened with, what it paid on the account's invoice,
    and what it closed with; on its last period in effect (expiry at or before the period's
    end) what is left lapses. Grants are the seed's and the carry-<YYYY-MM> grants made by
    carry_forward lines (covers all, priority 0, no expiry, from the next period). Periods
    run from the first rated period to the as-of period. -#}

with

credit_grants as (
    select * from {{ ref('credit_grants') }}
),

credit_steps as (
    select * from {{ ref('int_credit_steps') }}
),

contract_periods as (
    select * from {{ ref('int_contract_periods') }}
),

digits as (
    select 0 as digit
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9
),

period_bounds as (
    select
        min(period_start_date) as first_period_start_date,
        max(period_start_date) as last_period_start_date
    from contract_periods
),

periods as (
    select
        cast(
            {{ dbt.dateadd('month', 'ones.digit + 10 * tens.digit + 100 * hundreds.digit', 'period_bounds.first_period_start_date') }}
            as date
        ) as period_start_date
    from period_bounds
    cross join digits as ones
    cross join digits as tens
    cross join digits as hundreds
    where
        ones.digit + 10 * tens.digit + 100 * hundreds.digit
        <= {{ dbt.datediff('period_bounds.first_period_start_date', 'period_bounds.last_period_start_date', 'month') }}
),

grants as (
    select
        billing_account_id,
        grant_id,
        currency_code,
        cast(grant_amount as {{ tally.money_type() }}) as grant_amount,
        effective_date,
        expiry_date
    from credit_grants
    union all
    select
        billing_account_id,
        grant_id,
        currency_code,
        carry_amount as grant_amount,
        cast({{ dbt.dateadd('month', 1, 'period_start_date') }} as date) as effective_date,
        cast(null as date) as expiry_date
    from credit_steps
    where is_close_step and carry_amount > 0
),

grant_periods as (
    select
        grants.*,
        periods.period_start_date,
        cast({{ dbt.dateadd('month', 1, 'periods.period_start_date') }} as date) as period_end_date
    from grants
    inner join periods
        on
            grants.effective_date < cast({{ dbt.dateadd('month', 1, 'periods.period_start_date') }} as date)
            and (grants.expiry_date is null or grants.expiry_date > periods.period_start_date)
),

payments as (
    select
        billing_account_id,
        grant_id,
        period_start_date,
        sum(cast(paid_amount as {{ tally.money_type() }})) as applied_amount
    from credit_steps
    where not is_close_step
    group by
        billing_account_id,
        grant_id,
        period_start_date
),

balances as (
    select
        grant_periods.*,
        coalesce(payments.applied_amount, 0) as applied_amount,
        grant_periods.grant_amount
        - coalesce(
            sum(cast(coalesce(payments.applied_amount, 0) as {{ tally.money_type() }})) over (
                partition by grant_periods.billing_account_id, grant_periods.grant_id
                order by grant_periods.period_start_date
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as opening_amount,
        grant_periods.expiry_date is not null
        and grant_periods.expiry_date <= grant_periods.period_end_date as is_lapsing
    from grant_periods
    left join payments
        on
            grant_periods.billing_account_id = payments.billing_account_id
            and grant_periods.grant_id = payments.grant_id
            and grant_periods.period_start_date = payments.period_start_date
),

final as (
    select
        cast(
            billing_account_id || '|' || grant_id || '|' || cast(period_start_date as varchar) as varchar
        ) as credit_balance_id,
        cast(billing_account_id as varchar) as billing_account_id,
        cast(grant_id as varchar) as grant_id,
        cast(period_start_date as date) as period_start_date,
        cast(currency_code as varchar) as currency_code,
        cast(grant_amount as {{ tally.money_type() }}) as grant_amount,
        cast(opening_amount as {{ tally.money_type() }}) as opening_amount,
        cast(applied_amount as {{ tally.money_type() }}) as applied_amount,
        cast(case when is_lapsing then 0 else opening_amount - applied_amount end as {{ tally.money_type() }})
            as closing_amount,
        cast(case when is_lapsing then opening_amount - applied_amount else 0 end as {{ tally.money_type() }})
            as lapsed_amount
    from balances
)

select * from final
