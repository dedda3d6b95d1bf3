{{ config(contract={'enforced': true}) }}

{#- One invoice per billing account and period: its total is the sum of its rounded lines
    (never negative: a carry_forward line closes a negative total at zero). subtotal_amount
    is every line but credit and carry_forward. -#}

with

invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

final as (
    select
        cast(invoice_id as varchar) as invoice_id,
        cast(billing_account_id as varchar) as billing_account_id,
        cast(period_start_date as date) as period_start_date,
        cast(max(currency_code) as varchar) as currency_code,
        cast(
            sum(cast(case when line_type not in ('credit', 'carry_forward') then amount else 0 end as {{ tally.money_type() }}))
            as {{ tally.money_type() }}
        ) as subtotal_amount,
        cast(
            sum(cast(case when line_type = 'credit' then amount else 0 end as {{ tally.money_type() }})) as {{ tally.money_type() }}
        ) as credit_amount,
        cast(
            sum(cast(case when line_type = 'carry_forward' then amount else 0 end as {{ tally.money_type() }})) as {{ tally.money_type() }}
        ) as carry_forward_amount,
        cast(sum(cast(amount as {{ tally.money_type() }})) as {{ tally.money_type() }}) as total_amount,
        cast(count(*) as integer) as line_count
    from invoice_lines
    group by
        invoice_id,
        billing_account_id,
        period_start_date
)

select * from final
