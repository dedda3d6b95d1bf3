{{ config(contract={'enforced': true}) }}

{#- One invoice per billing account and period in which a contract is in force or a line is
    billed: its total is the sum of its rounded lines (never negative: a carry_forward line
    closes a negative total at zero). subtotal_amount is every line but credit and
    carry_forward. A period with a contract in force and nothing to bill still gets its
    invoice, with no line and a total of zero (DECISIONLOG "An invoice for every contracted
    period"), so finance sees "billed nothing" rather than no row. terms_commit names the
    git commit of the price book and contracts it was rated from (TALLY_TERMS_COMMIT, which
    `tally` sets from the seeds folder: python/tally/terms.py). -#}

with

invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

contract_periods as (
    select * from {{ ref('int_contract_periods') }}
),

invoiced_periods as (
    select
        billing_account_id,
        period_start_date,
        max(currency_code) as currency_code
    from contract_periods
    group by
        billing_account_id,
        period_start_date
),

line_totals as (
    select
        invoice_id,
        billing_account_id,
        period_start_date,
        max(currency_code) as currency_code,
        sum(cast(case when line_type not in ('credit', 'carry_forward') then amount else 0 end as {{ tally.money_type() }}))
            as subtotal_amount,
        sum(cast(case when line_type = 'credit' then amount else 0 end as {{ tally.money_type() }}))
            as credit_amount,
        sum(cast(case when line_type = 'carry_forward' then amount else 0 end as {{ tally.money_type() }}))
            as carry_forward_amount,
        sum(cast(amount as {{ tally.money_type() }})) as total_amount,
        count(*) as line_count
    from invoice_lines
    group by
        invoice_id,
        billing_account_id,
        period_start_date
),

periods_without_lines as (
    select
        invoiced_periods.billing_account_id || '|' || cast(invoiced_periods.period_start_date as varchar)
            as invoice_id,
        invoiced_periods.billing_account_id,
        invoiced_periods.period_start_date,
        invoiced_periods.currency_code,
        0 as subtotal_amount,
        0 as credit_amount,
        0 as carry_forward_amount,
        0 as total_amount,
        0 as line_count
    from invoiced_periods
    left join line_totals
        on
            invoiced_periods.billing_account_id = line_totals.billing_account_id
            and invoiced_periods.period_start_date = line_totals.period_start_date
    where line_totals.invoice_id is null
),

invoices as (
    select * from line_totals
    union all
    select * from periods_without_lines
),

final as (
    select
        cast(invoice_id as varchar) as invoice_id,
        cast(billing_account_id as varchar) as billing_account_id,
        cast(period_start_date as date) as period_start_date,
        cast(currency_code as varchar) as currency_code,
        cast(subtotal_amount as {{ tally.money_type() }}) as subtotal_amount,
        cast(credit_amount as {{ tally.money_type() }}) as credit_amount,
        cast(carry_forward_amount as {{ tally.money_type() }}) as carry_forward_amount,
        cast(total_amount as {{ tally.money_type() }}) as total_amount,
        cast(line_count as integer) as line_count,
        cast(nullif({{ tally.text_literal(env_var('TALLY_TERMS_COMMIT', '')) }}, '') as varchar)
            as terms_commit
    from invoices
)

select * from final
