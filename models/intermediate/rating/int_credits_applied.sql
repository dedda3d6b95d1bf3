{#- credit and carry_forward lines (PRICING.md step 6 and "Invoice total") from the credit
    steps: one negative credit line per grant that paid something on the invoice, in
    consumption order; one carry_forward line closing a negative total at zero, its amount
    becoming the grant carry-<YYYY-MM>. Both belong to the account, not a contract. -#}

with

credit_steps as (
    select * from {{ ref('int_credit_steps') }}
),

lines as (
    select
        billing_account_id,
        period_start_date,
        'credit' as line_type,
        step_number,
        grant_id,
        currency_code,
        minor_unit,
        -1 * paid_amount as unrounded_amount
    from credit_steps
    where not is_close_step and paid_amount <> 0
    union all
    select
        billing_account_id,
        period_start_date,
        'carry_forward' as line_type,
        step_number,
        grant_id,
        currency_code,
        minor_unit,
        carry_amount as unrounded_amount
    from credit_steps
    where is_close_step and carry_amount > 0
),

final as (
    select
        cast(
            billing_account_id || '|' || cast(period_start_date as varchar) || '|' || line_type || '||' || grant_id
            as varchar
        ) as invoice_line_id,
        cast(billing_account_id as varchar) as billing_account_id,
        cast(period_start_date as date) as period_start_date,
        cast(null as varchar) as contract_id,
        cast(0 as integer) as contract_sequence,
        cast(null as varchar) as plan_id,
        cast(null as varchar) as plan_version_id,
        cast(line_type as varchar) as line_type,
        cast(step_number as integer) as line_sequence,
        cast(grant_id as varchar) as reference_id,
        cast(currency_code as varchar) as currency_code,
        cast(minor_unit as integer) as minor_unit,
        cast(unrounded_amount as {{ tally.quantity_type() }}) as unrounded_amount,
        {{ tally.round_money('unrounded_amount', 'minor_unit') }} as amount,
        cast(case when line_type = 'credit' then 7 else 8 end as integer) as step_rank
    from lines
)

select * from final
