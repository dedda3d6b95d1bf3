{#- Discount lines (PRICING.md step 2), per contract part with the discounts in force on
    the period's first day, computed from the rounded usage lines.
    Meter discounts: one line per discount and usage line of its meter. Percent discounts
    (by id) each take round(usage line x percent / 100) of every line, capped at what is
    left of it (they add up, never compound); then fixed discounts (by id) take from the
    meter's lines in dimension order, each line giving what is left of it, each discount up
    to its amount. Usage-subtotal discounts, one line each, on the usage subtotal after
    meter discounts: percents first, then fixed by id, each capped at what is left. No
    discount takes its scope below zero. Zero lines are kept here and dropped with the
    other zero lines in int_invoice_lines_unioned.
    The caps run in order, but as every take is min(wanted, what is left) with wanted >= 0,
    a discount's take is its wanted amount clipped to what the earlier ones left: for
    percents max(0, min(wanted, scope - earlier wanted)); for fixed meter discounts the
    overlap of its slice of the fixed amounts with the line's slice of the meter's
    remainder (both laid end to end in order). -#}

with

usage_lines as (
    select * from {{ ref('int_rated_usage') }}
),

contract_periods as (
    select * from {{ ref('int_contract_periods') }}
),

discounts as (
    select * from {{ ref('discounts') }}
),

discounts_in_force as (
    select
        contract_periods.contract_period_id,
        contract_periods.minor_unit,
        discounts.discount_id,
        discounts.scope,
        discounts.meter_id,
        discounts.discount_type,
        discounts.discount_percent,
        discounts.discount_amount,
        case when discounts.discount_type = 'percent' then 0 else 1 end as type_rank
    from contract_periods
    inner join discounts
        on
            contract_periods.contract_id = discounts.contract_id
            and discounts.effective_from_date <= contract_periods.period_start_date
            and (
                discounts.effective_to_date is null
                or contract_periods.period_start_date < discounts.effective_to_date
            )
),

meter_percents as (
    select
        discounts_in_force.contract_period_id,
        discounts_in_force.discount_id,
        discounts_in_force.type_rank,
        usage_lines.invoice_line_id as usage_line_id,
        usage_lines.line_sequence as usage_line_sequence,
        usage_lines.amount as usage_amount,
        {{ tally.round_money(
            tally.divide('usage_lines.amount * discounts_in_force.discount_percent', 100),
            'discounts_in_force.minor_unit',
        ) }} as wanted_amount
    from discounts_in_force
    inner join usage_lines
        on
            discounts_in_force.contract_period_id = usage_lines.contract_period_id
            and discounts_in_force.meter_id = usage_lines.meter_id
    where
        discounts_in_force.scope = 'meter'
        and discounts_in_force.discount_type = 'percent'
),

meter_percents_taken as (
    select
        contract_period_id,
        discount_id,
        type_rank,
        usage_line_id,
        greatest(
            least(
                wanted_amount,
                usage_amount
                - coalesce(
                    sum(cast(wanted_amount as {{ tally.money_type() }})) over (
                        partition by usage_line_id
                        order by discount_id
                        rows between unbounded preceding and 1 preceding
                    ),
                    0
                )
            ),
            0
        ) as taken_amount
    from meter_percents
),

percent_totals as (
    select
        usage_line_id,
        sum(cast(taken_amount as {{ tally.money_type() }})) as taken_amount
    from meter_percents_taken
    group by usage_line_id
),

meter_remainders as (
    -- What each usage line of a meter with fixed discounts has left after the percents,
    -- laid end to end in dimension order.
    select
        usage_lines.contract_period_id,
        usage_lines.meter_id,
        usage_lines.invoice_line_id as usage_line_id,
        usage_lines.line_sequence as usage_line_sequence,
        usage_lines.amount - coalesce(percent_totals.taken_amount, 0) as remaining_amount
    from usage_lines
    left join percent_totals
        on usage_lines.invoice_line_id = percent_totals.usage_line_id
),

meter_remainders_laid as (
    select
        *,
        coalesce(
            sum(cast(remaining_amount as {{ tally.money_type() }})) over (
                partition by contract_period_id, meter_id
                order by usage_line_sequence
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as remaining_before_amount
    from meter_remainders
),

meter_fixed_laid as (
    select
        contract_period_id,
        discount_id,
        type_rank,
        meter_id,
        discount_amount,
        coalesce(
            sum(cast(discount_amount as {{ tally.money_type() }})) over (
                partition by contract_period_id, meter_id
                order by discount_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as fixed_before_amount
    from discounts_in_force
    where
        scope = 'meter'
        and discount_type = 'fixed'
),

meter_fixed_taken as (
    -- The overlap of the discount's slice [before, before + amount) of the meter's fixed
    -- amounts with the line's slice [before, before + remaining) of the meter's remainder.
    select
        meter_fixed_laid.contract_period_id,
        meter_fixed_laid.discount_id,
        meter_fixed_laid.type_rank,
        meter_remainders_laid.usage_line_id,
        greatest(
            least(
                meter_remainders_laid.remaining_before_amount + meter_remainders_laid.remaining_amount,
                meter_fixed_laid.fixed_before_amount + meter_fixed_laid.discount_amount
            )
            - greatest(meter_remainders_laid.remaining_before_amount, meter_fixed_laid.fixed_before_amount),
            0
        ) as taken_amount
    from meter_fixed_laid
    inner join meter_remainders_laid
        on
            meter_fixed_laid.contract_period_id = meter_remainders_laid.contract_period_id
            and meter_fixed_laid.meter_id = meter_remainders_laid.meter_id
),

meter_discounts_taken as (
    select * from meter_percents_taken
    union all
    select * from meter_fixed_taken
),

meter_discount_lines as (
    select
        usage_lines.contract_period_id,
        meter_discounts_taken.discount_id,
        usage_lines.price_id,
        usage_lines.meter_id,
        usage_lines.dimension_name,
        usage_lines.dimension_value,
        usage_lines.meter_id || '|'
        || case
            when usage_lines.dimension_name is null then ''
            else usage_lines.dimension_name || '=' || coalesce(usage_lines.dimension_value, '<null>')
        end as key_suffix,
        0 as scope_rank,
        meter_discounts_taken.type_rank,
        usage_lines.line_sequence as usage_line_sequence,
        meter_discounts_taken.taken_amount
    from meter_discounts_taken
    inner join usage_lines
        on meter_discounts_taken.usage_line_id = usage_lines.invoice_line_id
),

usage_totals as (
    select
        contract_period_id,
        sum(cast(amount as {{ tally.money_type() }})) as amount
    from usage_lines
    group by contract_period_id
),

meter_discount_totals as (
    select
        contract_period_id,
        sum(cast(taken_amount as {{ tally.money_type() }})) as amount
    from meter_discount_lines
    group by contract_period_id
),

subtotal_bases as (
    -- The usage subtotal after meter discounts, each part.
    select
        contract_periods.contract_period_id,
        contract_periods.minor_unit,
        coalesce(usage_totals.amount, 0) - coalesce(meter_discount_totals.amount, 0) as base_amount
    from contract_periods
    left join usage_totals
        on contract_periods.contract_period_id = usage_totals.contract_period_id
    left join meter_discount_totals
        on contract_periods.contract_period_id = meter_discount_totals.contract_period_id
),

subtotal_wanted as (
    select
        discounts_in_force.contract_period_id,
        discounts_in_force.discount_id,
        discounts_in_force.type_rank,
        subtotal_bases.base_amount,
        case
            when discounts_in_force.discount_type = 'percent'
                then {{ tally.round_money(
                    tally.divide('subtotal_bases.base_amount * discounts_in_force.discount_percent', 100),
                    'subtotal_bases.minor_unit',
                ) }}
            else discounts_in_force.discount_amount
        end as wanted_amount
    from discounts_in_force
    inner join subtotal_bases
        on discounts_in_force.contract_period_id = subtotal_bases.contract_period_id
    where discounts_in_force.scope = 'usage_subtotal'
),

subtotal_left as (
    select
        *,
        base_amount
        - coalesce(
            sum(cast(wanted_amount as {{ tally.money_type() }})) over (
                partition by contract_period_id
                order by type_rank, discount_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as left_amount
    from subtotal_wanted
),

subtotal_discount_lines as (
    select
        contract_period_id,
        discount_id,
        cast(null as varchar) as price_id,
        cast(null as varchar) as meter_id,
        cast(null as varchar) as dimension_name,
        cast(null as varchar) as dimension_value,
        cast(null as varchar) as key_suffix,
        1 as scope_rank,
        type_rank,
        0 as usage_line_sequence,
        greatest(least(wanted_amount, left_amount), 0) as taken_amount
    from subtotal_left
),

discount_lines as (
    select * from meter_discount_lines
    union all
    select * from subtotal_discount_lines
),

final as (
    select
        cast(
            contract_periods.billing_account_id || '|' || cast(contract_periods.period_start_date as varchar)
            || '|discount|' || contract_periods.contract_id || '|' || discount_lines.discount_id
            || case when discount_lines.key_suffix is null then '' else '|' || discount_lines.key_suffix end
            as varchar
        ) as invoice_line_id,
        cast(contract_periods.contract_period_id as varchar) as contract_period_id,
        cast(contract_periods.billing_account_id as varchar) as billing_account_id,
        cast(contract_periods.period_start_date as date) as period_start_date,
        cast(contract_periods.contract_id as varchar) as contract_id,
        cast(contract_periods.contract_sequence as integer) as contract_sequence,
        cast(contract_periods.plan_id as varchar) as plan_id,
        cast(contract_periods.plan_version_id as varchar) as plan_version_id,
        cast('discount' as varchar) as line_type,
        cast(
            row_number()
                over (
                    partition by contract_periods.contract_period_id
                    order by
                        discount_lines.scope_rank,
                        discount_lines.meter_id,
                        discount_lines.type_rank,
                        discount_lines.discount_id,
                        discount_lines.usage_line_sequence
                )
            as integer
        ) as line_sequence,
        cast(discount_lines.discount_id as varchar) as reference_id,
        cast(discount_lines.price_id as varchar) as price_id,
        cast(discount_lines.meter_id as varchar) as meter_id,
        cast(discount_lines.dimension_name as varchar) as dimension_name,
        cast(discount_lines.dimension_value as varchar) as dimension_value,
        cast(contract_periods.currency_code as varchar) as currency_code,
        cast(contract_periods.minor_unit as integer) as minor_unit,
        cast(-1 * discount_lines.taken_amount as {{ tally.quantity_type() }}) as unrounded_amount,
        {{ tally.round_money('-1 * discount_lines.taken_amount', 'contract_periods.minor_unit') }} as amount
    from discount_lines
    inner join contract_periods
        on discount_lines.contract_period_id = contract_periods.contract_period_id
)

select * from final
