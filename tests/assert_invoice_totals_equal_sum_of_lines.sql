{#- An invoice's amounts are the sums of its rounded lines (PRICING.md "Money": an invoice
    total is the sum of its rounded lines) and its total is never negative; an invoice with
    no line (a contracted period with nothing billed) is all zeros, and every line belongs
    to an invoice. Each failing row names the invoice and what differs. -#}

with

invoices as (
    select * from {{ ref('fct_invoices') }}
),

invoice_lines as (
    select * from {{ ref('fct_invoice_lines') }}
),

line_sums as (
    select
        invoice_id,
        sum(cast(amount as {{ tally.money_type() }})) as total_amount,
        sum(
            cast(case when line_type not in ('credit', 'carry_forward') then amount else 0 end as {{ tally.money_type() }})
        ) as subtotal_amount,
        sum(cast(case when line_type = 'credit' then amount else 0 end as {{ tally.money_type() }})) as credit_amount,
        count(*) as line_count,
        count(distinct currency_code) as currency_count,
        max(line_number) as last_line_number
    from invoice_lines
    group by invoice_id
),

compared as (
    select
        invoices.invoice_id,
        case
            when
                line_sums.invoice_id is null
                and (
                    invoices.total_amount <> 0 or invoices.subtotal_amount <> 0 or invoices.credit_amount <> 0
                    or invoices.carry_forward_amount <> 0 or invoices.line_count <> 0
                )
                then 'has no lines but its amounts or line_count are not zero'
            when line_sums.invoice_id is null then null
            when invoices.total_amount <> line_sums.total_amount
                then
                    'total ' || cast(invoices.total_amount as varchar) || ' but its lines sum to '
                    || cast(line_sums.total_amount as varchar)
            when invoices.subtotal_amount <> line_sums.subtotal_amount
                then
                    'subtotal ' || cast(invoices.subtotal_amount as varchar) || ' but its lines sum to '
                    || cast(line_sums.subtotal_amount as varchar)
            when invoices.credit_amount <> line_sums.credit_amount
                then
                    'credits ' || cast(invoices.credit_amount as varchar) || ' but its credit lines sum to '
                    || cast(line_sums.credit_amount as varchar)
            when invoices.line_count <> line_sums.line_count or line_sums.last_line_number <> line_sums.line_count
                then
                    'line_count ' || cast(invoices.line_count as varchar) || ' but it has '
                    || cast(line_sums.line_count as varchar) || ' lines numbered up to '
                    || cast(line_sums.last_line_number as varchar)
            when line_sums.currency_count > 1 then 'has lines in more than one currency'
            when invoices.total_amount < 0 then 'total ' || cast(invoices.total_amount as varchar) || ' is negative'
        end as problem
    from invoices
    left join line_sums
        on invoices.invoice_id = line_sums.invoice_id
),

lines_without_invoice as (
    select
        line_sums.invoice_id,
        'is missing from fct_invoices but has lines' as problem
    from line_sums
    left join invoices
        on line_sums.invoice_id = invoices.invoice_id
    where invoices.invoice_id is null
),

problems as (
    select
        invoice_id,
        problem
    from compared
    where problem is not null
    union all
    select
        invoice_id,
        problem
    from lines_without_invoice
),

final as (
    select
        invoice_id,
        'invoice ' || invoice_id || ': ' || problem as failure_message
    from problems
)

select * from final
