{#- Commitments (PRICING.md step 3) per contract part: the term holding the part's first
    day (terms cover whole periods from their start month, term_months long, ended early by
    the contract's end), and its state over the term's periods so far.
    Prepaid: the fee (all upfront on the term's first period, or instalments of
    round(amount / term_months) with the term's last period taking what is left, so a
    contract ending mid-term bills the rest on its last invoice); the drawdown, the usage
    subtotal after discounts drawn from what is left of the amount (a running minimum:
    what is left before a period is max(0, amount - the earlier periods' positive
    subtotals)); the overage beyond it; what is left lapses after the term's last period.
    Postpaid: usage is billed as it occurs; the overage is the growth of max(0, term usage
    to date - amount), and on the term's last period the shortfall is trued up.
    An overage rate (a percent of the contract price) gives an overage_adjustment of
    (rate - 100) % of the overage. -#}

with

contract_periods as (
    select * from {{ ref('int_contract_periods') }}
),

subtotals as (
    select * from {{ ref('int_usage_subtotals_discounted') }}
),

commitments as (
    select * from {{ ref('commitments') }}
),

commitment_terms as (
    select * from {{ ref('commitment_terms') }}
),

term_spans as (
    select
        commitments.commitment_id,
        commitments.contract_id,
        commitments.commitment_type,
        commitments.fee_schedule,
        commitments.term_months,
        commitments.overage_rate_percent,
        commitment_terms.term_number,
        commitment_terms.term_start_date,
        commitment_terms.commitment_amount,
        cast({{ tally.period_start('commitment_terms.term_start_date') }} as date) as term_start_period_date,
        cast(
            {{ dbt.dateadd('month', 'commitments.term_months', tally.period_start('commitment_terms.term_start_date')) }}
            as date
        ) as term_nominal_end_date
    from commitments
    inner join commitment_terms
        on commitments.commitment_id = commitment_terms.commitment_id
),

part_terms as (
    select
        contract_periods.contract_period_id,
        contract_periods.contract_id,
        contract_periods.billing_account_id,
        contract_periods.period_start_date,
        contract_periods.period_end_date,
        contract_periods.currency_code,
        contract_periods.minor_unit,
        term_spans.commitment_id,
        term_spans.commitment_type,
        term_spans.fee_schedule,
        term_spans.term_months,
        term_spans.overage_rate_percent,
        term_spans.term_number,
        term_spans.commitment_amount,
        subtotals.subtotal_amount,
        {{ dbt.datediff('term_spans.term_start_period_date', 'contract_periods.period_start_date', 'month') }}
            as period_index,
        case
            when
                contract_periods.contract_end_date is not null
                and contract_periods.contract_end_date < term_spans.term_nominal_end_date
                then contract_periods.contract_end_date
            else term_spans.term_nominal_end_date
        end <= contract_periods.period_end_date as is_last_term_period
    from contract_periods
    inner join term_spans
        on
            contract_periods.contract_id = term_spans.contract_id
            and term_spans.term_start_date <= contract_periods.part_start_date
            and contract_periods.part_start_date < term_spans.term_nominal_end_date
            and (
                contract_periods.contract_end_date is null
                or contract_periods.part_start_date < contract_periods.contract_end_date
            )
    inner join subtotals
        on contract_periods.contract_period_id = subtotals.contract_period_id
),

term_running as (
    select
        *,
        coalesce(
            sum(cast(subtotal_amount as {{ tally.money_type() }})) over (
                partition by commitment_id, term_number
                order by period_start_date
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as usage_before_amount,
        coalesce(
            sum(cast(greatest(subtotal_amount, 0) as {{ tally.money_type() }})) over (
                partition by commitment_id, term_number
                order by period_start_date
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as drawable_before_amount
    from part_terms
),

prepaid as (
    select
        *,
        greatest(commitment_amount - drawable_before_amount, 0) as opening_balance_amount,
        least(greatest(commitment_amount - drawable_before_amount, 0), greatest(subtotal_amount, 0))
            as drawdown_amount,
        {{ tally.round_money(tally.divide('commitment_amount', 'term_months'), 'minor_unit') }} as instalment_amount
    from term_running
    where commitment_type = 'prepaid'
),

prepaid_states as (
    select
        contract_period_id,
        commitment_id,
        term_number,
        commitment_type,
        commitment_amount,
        opening_balance_amount,
        drawdown_amount,
        opening_balance_amount - drawdown_amount as closing_balance_amount,
        usage_before_amount + subtotal_amount as term_usage_amount,
        case
            when is_last_term_period then opening_balance_amount - drawdown_amount
            else 0
        end as lapsed_amount,
        case
            when fee_schedule = 'upfront' and period_index = 0 then commitment_amount
            when fee_schedule = 'upfront' then 0
            when is_last_term_period then commitment_amount - instalment_amount * period_index
            else instalment_amount
        end as fee_amount,
        case
            when overage_rate_percent is not null and subtotal_amount - drawdown_amount > 0
                then {{ tally.divide('(subtotal_amount - drawdown_amount) * (overage_rate_percent - 100)', 100) }}
        end as overage_adjustment_amount,
        cast(null as {{ tally.money_type() }}) as true_up_amount
    from prepaid
),

postpaid_states as (
    select
        contract_period_id,
        commitment_id,
        term_number,
        commitment_type,
        commitment_amount,
        commitment_amount - usage_before_amount as opening_balance_amount,
        0 as drawdown_amount,
        commitment_amount - usage_before_amount - subtotal_amount as closing_balance_amount,
        usage_before_amount + subtotal_amount as term_usage_amount,
        0 as lapsed_amount,
        cast(null as {{ tally.money_type() }}) as fee_amount,
        case
            when
                overage_rate_percent is not null
                and greatest(usage_before_amount + subtotal_amount - commitment_amount, 0)
                - greatest(usage_before_amount - commitment_amount, 0) > 0
                then {{ tally.divide(
                    '(greatest(usage_before_amount + subtotal_amount - commitment_amount, 0)'
                    ~ ' - greatest(usage_before_amount - commitment_amount, 0))'
                    ~ ' * (overage_rate_percent - 100)',
                    100,
                ) }}
        end as overage_adjustment_amount,
        case
            when is_last_term_period and usage_before_amount + subtotal_amount < commitment_amount
                then commitment_amount - usage_before_amount - subtotal_amount
        end as true_up_amount
    from term_running
    where commitment_type = 'postpaid'
),

states as (
    select * from prepaid_states
    union all
    select * from postpaid_states
),

final as (
    select
        cast(
            states.commitment_id || '|' || cast(states.term_number as varchar) || '|'
            || cast(contract_periods.period_start_date as varchar) as varchar
        ) as commitment_balance_id,
        cast(states.contract_period_id as varchar) as contract_period_id,
        cast(contract_periods.contract_id as varchar) as contract_id,
        cast(contract_periods.billing_account_id as varchar) as billing_account_id,
        cast(contract_periods.period_start_date as date) as period_start_date,
        cast(states.commitment_id as varchar) as commitment_id,
        cast(states.term_number as integer) as term_number,
        cast(states.commitment_type as varchar) as commitment_type,
        cast(contract_periods.currency_code as varchar) as currency_code,
        cast(contract_periods.minor_unit as integer) as minor_unit,
        cast(states.commitment_amount as {{ tally.money_type() }}) as commitment_amount,
        cast(states.opening_balance_amount as {{ tally.money_type() }}) as opening_balance_amount,
        cast(states.drawdown_amount as {{ tally.money_type() }}) as drawdown_amount,
        cast(states.closing_balance_amount as {{ tally.money_type() }}) as closing_balance_amount,
        cast(states.term_usage_amount as {{ tally.money_type() }}) as term_usage_amount,
        cast(states.lapsed_amount as {{ tally.money_type() }}) as lapsed_amount,
        cast(states.fee_amount as {{ tally.quantity_type() }}) as fee_amount,
        cast(states.overage_adjustment_amount as {{ tally.quantity_type() }}) as overage_adjustment_amount,
        cast(states.true_up_amount as {{ tally.quantity_type() }}) as true_up_amount
    from states
    inner join contract_periods
        on states.contract_period_id = contract_periods.contract_period_id
)

select * from final
