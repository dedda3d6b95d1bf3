{#- Commitment lines (PRICING.md step 3) of each contract part, from its commitment term's
    state (int_commitment_periods): commitment_fee (prepaid, never paid by credits),
    commitment_drawdown (prepaid, negative), overage_adjustment and commitment_true_up
    (postpaid, on the term's last period), in that order, each rounded once. Zero lines are
    kept here and dropped in int_invoice_lines_unioned. -#}

with

commitment_periods as (
    select * from {{ ref('int_commitment_periods') }}
),

contract_periods as (
    select * from {{ ref('int_contract_periods') }}
),

commitment_lines as (
    select
        contract_period_id,
        commitment_id,
        term_number,
        'commitment_fee' as line_type,
        1 as line_sequence,
        fee_amount as unrounded_amount
    from commitment_periods
    where fee_amount is not null
    union all
    select
        contract_period_id,
        commitment_id,
        term_number,
        'commitment_drawdown' as line_type,
        2 as line_sequence,
        -1 * drawdown_amount as unrounded_amount
    from commitment_periods
    where commitment_type = 'prepaid'
    union all
    select
        contract_period_id,
        commitment_id,
        term_number,
        'overage_adjustment' as line_type,
        3 as line_sequence,
        overage_adjustment_amount as unrounded_amount
    from commitment_periods
    where overage_adjustment_amount is not null
    union all
    select
        contract_period_id,
        commitment_id,
        term_number,
        'commitment_true_up' as line_type,
        4 as line_sequence,
        true_up_amount as unrounded_amount
    from commitment_periods
    where true_up_amount is not null
),

final as (
    select
        cast(
            contract_periods.billing_account_id || '|' || cast(contract_periods.period_start_date as varchar)
            || '|' || commitment_lines.line_type || '|' || contract_periods.contract_id
            || '|' || commitment_lines.commitment_id || '|' || cast(commitment_lines.term_number as varchar)
            as varchar
        ) as invoice_line_id,
        cast(contract_periods.contract_period_id as varchar) as contract_period_id,
        cast(contract_periods.billing_account_id as varchar) as billing_account_id,
        cast(contract_periods.period_start_date as date) as period_start_date,
        cast(contract_periods.contract_id as varchar) as contract_id,
        cast(contract_periods.contract_sequence as integer) as contract_sequence,
        cast(contract_periods.plan_id as varchar) as plan_id,
        cast(contract_periods.plan_version_id as varchar) as plan_version_id,
        cast(commitment_lines.line_type as varchar) as line_type,
        cast(commitment_lines.line_sequence as integer) as line_sequence,
        cast(commitment_lines.commitment_id as varchar) as reference_id,
        cast(commitment_lines.term_number as integer) as term_number,
        cast(contract_periods.currency_code as varchar) as currency_code,
        cast(contract_periods.minor_unit as integer) as minor_unit,
        cast(commitment_lines.unrounded_amount as {{ tally.quantity_type() }}) as unrounded_amount,
        {{ tally.round_money('commitment_lines.unrounded_amount', 'contract_periods.minor_unit') }} as amount
    from commitment_lines
    inner join contract_periods
        on commitment_lines.contract_period_id = contract_periods.contract_period_id
)

select * from final
