{{ config(contract={'enforced': true}) }}

{#- The invoice lines of every billing account and period, in PRICING.md's order ("Order on
    one invoice"): usage, discount, adjustment, commitment, minimum_true_up, platform_fee,
    credit, carry_forward; within a step the earlier contract's lines first. Each amount
    was rounded once, by tally.round_money, to the currency's minor unit; every line after
    usage was computed from the rounded lines it refers to. invoice_line_id is the Python
    reference rater's line key: <account>|<period start>|<line type>|<contract>|<reference>. -#}

with

lines_before_credits as (
    select * from {{ ref('int_invoice_lines_unioned') }}
),

credit_lines as (
    select * from {{ ref('int_credits_applied') }}
),

lines as (
    select
        invoice_line_id,
        billing_account_id,
        period_start_date,
        step_rank,
        contract_sequence,
        line_sequence,
        line_type,
        contract_id,
        plan_id,
        plan_version_id,
        price_id,
        meter_id,
        dimension_name,
        dimension_value,
        reference_id,
        term_number,
        quantity,
        included_quantity,
        tiers_applied,
        billing_timing,
        currency_code,
        amount
    from lines_before_credits
    union all
    select
        invoice_line_id,
        billing_account_id,
        period_start_date,
        step_rank,
        contract_sequence,
        line_sequence,
        line_type,
        contract_id,
        plan_id,
        plan_version_id,
        cast(null as varchar) as price_id,
        cast(null as varchar) as meter_id,
        cast(null as varchar) as dimension_name,
        cast(null as varchar) as dimension_value,
        reference_id,
        cast(null as integer) as term_number,
        cast(null as {{ tally.quantity_type() }}) as quantity,
        cast(null as {{ tally.quantity_type() }}) as included_quantity,
        cast(null as varchar) as tiers_applied,
        cast(null as varchar) as billing_timing,
        currency_code,
        amount
    from credit_lines
),

final as (
    select
        cast(lines.invoice_line_id as varchar) as invoice_line_id,
        cast(
            lines.billing_account_id || '|' || cast(lines.period_start_date as varchar) as varchar
        ) as invoice_id,
        cast(lines.billing_account_id as varchar) as billing_account_id,
        cast(lines.period_start_date as date) as period_start_date,
        cast(
            row_number()
                over (
                    partition by lines.billing_account_id, lines.period_start_date
                    order by lines.step_rank, lines.contract_sequence, lines.line_sequence
                )
            as integer
        ) as line_number,
        cast(lines.line_type as varchar) as line_type,
        cast(lines.contract_id as varchar) as contract_id,
        cast(lines.plan_id as varchar) as plan_id,
        cast(lines.plan_version_id as varchar) as plan_version_id,
        cast(lines.price_id as varchar) as price_id,
        cast(lines.meter_id as varchar) as meter_id,
        cast(lines.dimension_name as varchar) as dimension_name,
        cast(lines.dimension_value as varchar) as dimension_value,
        cast(lines.reference_id as varchar) as reference_id,
        cast(lines.term_number as integer) as term_number,
        cast(lines.quantity as {{ tally.quantity_type() }}) as quantity,
        cast(lines.included_quantity as {{ tally.quantity_type() }}) as included_quantity,
        cast(lines.tiers_applied as varchar) as tiers_applied,
        cast(lines.billing_timing as varchar) as billing_timing,
        cast(lines.currency_code as varchar) as currency_code,
        cast(lines.amount as {{ tally.money_type() }}) as amount
    from lines
)

select * from final
