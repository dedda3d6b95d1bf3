{#- Usage lines (PRICING.md step 1): per contract part, meter and price group, the part's
    quantity rated by the price in force, included units taken off first, at full
    precision and then rounded once to the currency's minor unit.
    Groups: a meter priced by keyed prices groups its usage by the value of the keyed
    dimension (other dimensions summed; a missing value is the null group); each group
    with usage is a line priced by its keyed price, else by the meter's unkeyed price
    rated on its own. A meter with an unkeyed price that no group fell back to (or with
    no usage at all) shows one line of quantity 0 with no dimension. A group with no
    price has no line here (assert_every_usage_has_a_price names it).
    Quantities over the part's days (docs/price-book.md "How a period is rated"): count
    and sum add the days, max and min take the extremes, latest the last counted event in
    the tie order, unique_count the distinct values over the part, and a time-weighted
    gauge the sum of its daily values over the days in the whole period (or undivided for
    a per-day gauge). A percentage price rates each counted transaction of the group. -#}

with

contract_periods as (
    select * from {{ ref('int_contract_periods') }}
),

prices_in_force as (
    select * from {{ ref('int_prices_in_force') }}
),

price_tiers as (
    select * from {{ ref('int_price_tiers_bounded') }}
),

usage_daily as (
    select * from {{ ref('fct_usage_daily') }}
),

summarised as (
    select * from {{ ref('int_events_summarised') }}
),

meters as (
    select * from {{ ref('meters') }}
),

meter_keys as (
    -- The meters priced in each part, with the dimension their keyed prices key (null
    -- when the meter has only an unkeyed price).
    select distinct
        contract_period_id,
        meter_id,
        meter_key_name
    from prices_in_force
),

part_days as (
    select
        contract_periods.contract_period_id,
        usage_daily.meter_id,
        usage_daily.aggregation,
        meters.gauge_time_unit,
        contract_periods.period_days,
        usage_daily.usage_quantity,
        meter_keys.meter_key_name,
        case
            when meter_keys.meter_key_name = usage_daily.dimension_1_name then usage_daily.dimension_1_value
            when meter_keys.meter_key_name = usage_daily.dimension_2_name then usage_daily.dimension_2_value
            when meter_keys.meter_key_name = usage_daily.dimension_3_name then usage_daily.dimension_3_value
        end as group_value
    from usage_daily
    inner join contract_periods
        on
            usage_daily.billing_account_id = contract_periods.billing_account_id
            and usage_daily.usage_date >= contract_periods.part_start_date
            and usage_daily.usage_date < contract_periods.part_end_date
    inner join meter_keys
        on
            contract_periods.contract_period_id = meter_keys.contract_period_id
            and usage_daily.meter_id = meter_keys.meter_id
    inner join meters
        on usage_daily.meter_id = meters.meter_id
),

part_events as (
    -- Counted events of the meters whose quantity comes from the events themselves:
    -- latest (the last in the tie order), unique_count (distinct values over the part) and
    -- meters with a percentage price (each transaction rated on its own).
    select
        contract_periods.contract_period_id,
        summarised.meter_id,
        summarised.aggregation,
        summarised.event_id,
        summarised.occurred_at,
        summarised.received_at,
        summarised.quantity,
        summarised.distinct_value,
        meter_keys.meter_key_name,
        case
            when meter_keys.meter_key_name = meters.group_by_1 then summarised.dimension_1_value
            when meter_keys.meter_key_name = meters.group_by_2 then summarised.dimension_2_value
            when meter_keys.meter_key_name = meters.group_by_3 then summarised.dimension_3_value
        end as group_value
    from summarised
    inner join contract_periods
        on
            summarised.billing_account_id = contract_periods.billing_account_id
            and summarised.usage_date >= contract_periods.part_start_date
            and summarised.usage_date < contract_periods.part_end_date
    inner join meter_keys
        on
            contract_periods.contract_period_id = meter_keys.contract_period_id
            and summarised.meter_id = meter_keys.meter_id
    inner join meters
        on summarised.meter_id = meters.meter_id
    where
        summarised.is_counted
        and (
            summarised.aggregation in ('latest', 'unique_count')
            or summarised.meter_id in (
                select percentage_prices.meter_id
                from prices_in_force as percentage_prices
                where percentage_prices.charge_model = 'percentage'
            )
        )
),

day_groups as (
    select
        contract_period_id,
        meter_id,
        meter_key_name,
        group_value,
        max(aggregation) as aggregation,
        max(gauge_time_unit) as gauge_time_unit,
        max(period_days) as period_days,
        sum(cast(usage_quantity as {{ tally.quantity_type() }})) as summed_quantity,
        max(usage_quantity) as max_quantity,
        min(usage_quantity) as min_quantity
    from part_days
    group by
        contract_period_id,
        meter_id,
        meter_key_name,
        group_value
),

latest_ranked as (
    select
        contract_period_id,
        meter_id,
        group_value,
        quantity,
        row_number() over (
            partition by contract_period_id, meter_id, group_value
            order by occurred_at desc, received_at desc, event_id desc
        ) as recency_rank
    from part_events
    where aggregation = 'latest'
),

distinct_counts as (
    select
        contract_period_id,
        meter_id,
        group_value,
        count(distinct distinct_value) as distinct_count
    from part_events
    where aggregation = 'unique_count'
    group by
        contract_period_id,
        meter_id,
        group_value
),

group_quantities as (
    select
        day_groups.contract_period_id,
        day_groups.meter_id,
        day_groups.meter_key_name,
        day_groups.group_value,
        cast(
            case
                when day_groups.aggregation in ('count', 'sum') then day_groups.summed_quantity
                when day_groups.aggregation = 'max' then day_groups.max_quantity
                when day_groups.aggregation = 'min' then day_groups.min_quantity
                when day_groups.aggregation = 'latest' then latest_ranked.quantity
                when day_groups.aggregation = 'unique_count' then coalesce(distinct_counts.distinct_count, 0)
                when day_groups.gauge_time_unit = 'day' then day_groups.summed_quantity
                else {{ tally.divide('day_groups.summed_quantity', 'day_groups.period_days') }}
            end
            as {{ tally.quantity_type() }}
        ) as period_quantity
    from day_groups
    left join latest_ranked
        on
            day_groups.contract_period_id = latest_ranked.contract_period_id
            and day_groups.meter_id = latest_ranked.meter_id
            and (
                day_groups.group_value = latest_ranked.group_value
                or (day_groups.group_value is null and latest_ranked.group_value is null)
            )
            and latest_ranked.recency_rank = 1
    left join distinct_counts
        on
            day_groups.contract_period_id = distinct_counts.contract_period_id
            and day_groups.meter_id = distinct_counts.meter_id
            and (
                day_groups.group_value = distinct_counts.group_value
                or (day_groups.group_value is null and distinct_counts.group_value is null)
            )
),

keyed_prices as (
    select * from prices_in_force
    where is_keyed
),

unkeyed_prices as (
    select * from prices_in_force
    where not is_keyed
),

priced_groups as (
    -- Each group with usage and the price that rates it: its keyed price, else the
    -- meter's unkeyed price. Groups with neither have no price and no line.
    select
        group_quantities.contract_period_id || '|' || group_quantities.meter_id || '|'
        || case
            when group_quantities.meter_key_name is null then ''
            else group_quantities.meter_key_name || '=' || coalesce(group_quantities.group_value, '<null>')
        end as usage_group_id,
        group_quantities.contract_period_id,
        group_quantities.meter_id,
        group_quantities.meter_key_name as dimension_name,
        group_quantities.group_value as dimension_value,
        false as is_zero_line,
        group_quantities.period_quantity,
        coalesce(keyed_prices.price_in_force_id, unkeyed_prices.price_in_force_id) as price_in_force_id
    from group_quantities
    left join keyed_prices
        on
            group_quantities.contract_period_id = keyed_prices.contract_period_id
            and group_quantities.meter_id = keyed_prices.meter_id
            and group_quantities.group_value = keyed_prices.dimension_value
    left join unkeyed_prices
        on
            group_quantities.contract_period_id = unkeyed_prices.contract_period_id
            and group_quantities.meter_id = unkeyed_prices.meter_id
    where coalesce(keyed_prices.price_in_force_id, unkeyed_prices.price_in_force_id) is not null
),

zero_lines as (
    -- A meter's unkeyed price that rated no group still shows its line, quantity 0.
    select
        unkeyed_prices.contract_period_id || '|' || unkeyed_prices.meter_id || '|' as usage_group_id,
        unkeyed_prices.contract_period_id,
        unkeyed_prices.meter_id,
        cast(null as varchar) as dimension_name,
        cast(null as varchar) as dimension_value,
        true as is_zero_line,
        cast(0 as {{ tally.quantity_type() }}) as period_quantity,
        unkeyed_prices.price_in_force_id
    from unkeyed_prices
    left join priced_groups
        on unkeyed_prices.price_in_force_id = priced_groups.price_in_force_id
    where priced_groups.price_in_force_id is null
),

usage_groups as (
    select * from priced_groups
    union all
    select * from zero_lines
),

rated_groups as (
    select
        usage_groups.*,
        prices_in_force.price_id,
        prices_in_force.charge_model,
        prices_in_force.unit_price,
        prices_in_force.unit_quantity,
        prices_in_force.package_quantity,
        prices_in_force.package_price,
        case
            when prices_in_force.charge_model = 'percentage' then cast(0 as {{ tally.quantity_type() }})
            when usage_groups.period_quantity < prices_in_force.included_quantity then usage_groups.period_quantity
            else prices_in_force.included_quantity
        end as used_included_quantity,
        case
            when prices_in_force.charge_model = 'percentage' then usage_groups.period_quantity
            when usage_groups.period_quantity < prices_in_force.included_quantity
                then cast(0 as {{ tally.quantity_type() }})
            else usage_groups.period_quantity - prices_in_force.included_quantity
        end as rest_quantity
    from usage_groups
    inner join prices_in_force
        on usage_groups.price_in_force_id = prices_in_force.price_in_force_id
),

tiered_bands as (
    -- Graduated: each band at its own rate, a tier's flat fee once the rest enters it
    -- (tier 1 always). Volume: the tier the rest falls in (the first whose up_to is at
    -- least the rest; the last is open).
    select
        rated_groups.usage_group_id,
        rated_groups.charge_model,
        price_tiers.tier_number,
        price_tiers.flat_fee_amount,
        rated_groups.rest_quantity,
        case
            when rated_groups.charge_model = 'graduated'
                then
                    case
                        when price_tiers.up_to_quantity is null or rated_groups.rest_quantity < price_tiers.up_to_quantity
                            then rated_groups.rest_quantity
                        else price_tiers.up_to_quantity
                    end
                    - price_tiers.lower_bound_quantity
            else rated_groups.rest_quantity
        end as band_quantity,
        price_tiers.unit_price as tier_unit_price,
        (
            rated_groups.charge_model = 'graduated'
            and (price_tiers.tier_rank = 1 or rated_groups.rest_quantity > price_tiers.lower_bound_quantity)
        )
        or (
            rated_groups.charge_model = 'volume'
            and (price_tiers.tier_rank = 1 or rated_groups.rest_quantity > price_tiers.lower_bound_quantity)
            and (price_tiers.up_to_quantity is null or rated_groups.rest_quantity <= price_tiers.up_to_quantity)
        ) as is_applied
    from rated_groups
    inner join price_tiers
        on rated_groups.price_id = price_tiers.price_id
    where rated_groups.charge_model in ('graduated', 'volume')
),

tiered_amounts as (
    select
        *,
        case
            when is_applied and band_quantity > 0
                then cast(band_quantity * tier_unit_price as {{ tally.quantity_type() }})
            else cast(0 as {{ tally.quantity_type() }})
        end as band_amount,
        case when is_applied then flat_fee_amount else 0 end as applied_flat_fee_amount
    from tiered_bands
),

tiered_charges as (
    select
        usage_group_id,
        sum(cast(band_amount as {{ tally.quantity_type() }})) as banded_amount,
        sum(cast(applied_flat_fee_amount as {{ tally.money_type() }})) as flat_fee_amount,
        {{ dbt.listagg(
            "case when is_applied then cast(tier_number as varchar) end",
            "','",
            "order by tier_number",
        ) }} as tiers_applied
    from tiered_amounts
    group by usage_group_id
),

transactions as (
    -- Percentage prices: each counted transaction of the group in the tie order, with the
    -- free allowance (count and/or amount, fresh each period) consumed until the part that
    -- is set runs out.
    select
        rated_groups.usage_group_id,
        part_events.quantity as transaction_amount,
        prices_in_force.rate_percent,
        prices_in_force.fixed_fee_amount,
        prices_in_force.minimum_charge_amount,
        prices_in_force.maximum_charge_amount,
        prices_in_force.free_transaction_count,
        prices_in_force.free_allowance_amount,
        row_number() over (
            partition by rated_groups.usage_group_id
            order by part_events.occurred_at, part_events.received_at, part_events.event_id
        ) as transaction_number,
        coalesce(
            sum(cast(part_events.quantity as {{ tally.quantity_type() }})) over (
                partition by rated_groups.usage_group_id
                order by part_events.occurred_at, part_events.received_at, part_events.event_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as amount_before
    from rated_groups
    inner join prices_in_force
        on rated_groups.price_in_force_id = prices_in_force.price_in_force_id
    inner join part_events
        on
            rated_groups.contract_period_id = part_events.contract_period_id
            and rated_groups.meter_id = part_events.meter_id
            and (
                rated_groups.dimension_value = part_events.group_value
                or (rated_groups.dimension_value is null and part_events.group_value is null)
            )
    where
        rated_groups.charge_model = 'percentage'
        and not rated_groups.is_zero_line
),

transactions_in_allowance as (
    select
        *,
        (free_transaction_count is not null or free_allowance_amount is not null)
        and (free_transaction_count is null or transaction_number - 1 < free_transaction_count)
        and (free_allowance_amount is null or amount_before < free_allowance_amount) as is_in_allowance
    from transactions
),

transactions_chargeable as (
    select
        *,
        case
            when not is_in_allowance then transaction_amount
            when free_allowance_amount is null then cast(0 as {{ tally.quantity_type() }})
            when transaction_amount < free_allowance_amount - amount_before then cast(0 as {{ tally.quantity_type() }})
            else transaction_amount - (free_allowance_amount - amount_before)
        end as chargeable_amount
    from transactions_in_allowance
),

transactions_charged as (
    select
        *,
        {{ tally.divide('chargeable_amount * rate_percent', 100) }} + coalesce(fixed_fee_amount, 0) as rated_amount
    from transactions_chargeable
),

transactions_clamped as (
    -- A transaction wholly inside the allowance pays nothing (no fixed fee, no minimum);
    -- otherwise rate x chargeable part + fixed fee, clamped to [minimum, maximum].
    select
        usage_group_id,
        case
            when is_in_allowance and chargeable_amount = 0 then cast(0 as {{ tally.quantity_type() }})
            when
                maximum_charge_amount is not null
                and (
                    case
                        when minimum_charge_amount is not null and rated_amount < minimum_charge_amount
                            then minimum_charge_amount
                        else rated_amount
                    end
                ) > maximum_charge_amount
                then cast(maximum_charge_amount as {{ tally.quantity_type() }})
            when minimum_charge_amount is not null and rated_amount < minimum_charge_amount
                then cast(minimum_charge_amount as {{ tally.quantity_type() }})
            else cast(rated_amount as {{ tally.quantity_type() }})
        end as charged_amount
    from transactions_charged
),

percentage_charges as (
    select
        usage_group_id,
        sum(cast(charged_amount as {{ tally.quantity_type() }})) as charged_amount
    from transactions_clamped
    group by usage_group_id
),

charged as (
    select
        rated_groups.*,
        tiered_charges.tiers_applied,
        cast(
            case
                when rated_groups.charge_model = 'per_unit'
                    then {{ tally.divide('rated_groups.rest_quantity * rated_groups.unit_price', 'rated_groups.unit_quantity') }}
                when rated_groups.charge_model in ('graduated', 'volume')
                    then
                        {{ tally.divide('tiered_charges.banded_amount', 'rated_groups.unit_quantity') }}
                        + tiered_charges.flat_fee_amount
                when rated_groups.charge_model = 'package'
                    then
                        (
                            ceil({{ tally.divide('rated_groups.rest_quantity', 'rated_groups.package_quantity') }})
                            + case
                                when
                                    ceil({{ tally.divide('rated_groups.rest_quantity', 'rated_groups.package_quantity') }})
                                    * rated_groups.package_quantity
                                    < rated_groups.rest_quantity
                                    then 1
                                else 0
                            end
                        )
                        * rated_groups.package_price
                when rated_groups.charge_model = 'percentage'
                    then coalesce(percentage_charges.charged_amount, 0)
            end
            as {{ tally.quantity_type() }}
        ) as unrounded_amount
    from rated_groups
    left join tiered_charges
        on rated_groups.usage_group_id = tiered_charges.usage_group_id
    left join percentage_charges
        on rated_groups.usage_group_id = percentage_charges.usage_group_id
),

final as (
    select
        cast(
            contract_periods.billing_account_id || '|' || cast(contract_periods.period_start_date as varchar)
            || '|usage|' || contract_periods.contract_id || '|' || charged.meter_id || '|'
            || case
                when charged.dimension_name is null then ''
                else charged.dimension_name || '=' || coalesce(charged.dimension_value, '<null>')
            end
            as varchar
        ) as invoice_line_id,
        cast(contract_periods.contract_period_id as varchar) as contract_period_id,
        cast(contract_periods.billing_account_id as varchar) as billing_account_id,
        cast(contract_periods.period_start_date as date) as period_start_date,
        cast(contract_periods.contract_id as varchar) as contract_id,
        cast(contract_periods.contract_sequence as integer) as contract_sequence,
        cast(contract_periods.plan_id as varchar) as plan_id,
        cast(contract_periods.plan_version_id as varchar) as plan_version_id,
        cast('usage' as varchar) as line_type,
        cast(
            row_number()
                over (
                    partition by contract_periods.contract_period_id
                    order by
                        charged.meter_id,
                        charged.is_zero_line,
                        charged.dimension_value is null,
                        charged.dimension_value
                )
            as integer
        ) as line_sequence,
        cast(charged.price_id as varchar) as price_id,
        cast(charged.charge_model as varchar) as charge_model,
        cast(charged.meter_id as varchar) as meter_id,
        cast(charged.dimension_name as varchar) as dimension_name,
        cast(charged.dimension_value as varchar) as dimension_value,
        cast(charged.period_quantity as {{ tally.quantity_type() }}) as quantity,
        cast(charged.used_included_quantity as {{ tally.quantity_type() }}) as included_quantity,
        cast(charged.rest_quantity as {{ tally.quantity_type() }}) as rated_quantity,
        cast(charged.tiers_applied as varchar) as tiers_applied,
        cast(contract_periods.currency_code as varchar) as currency_code,
        cast(contract_periods.minor_unit as integer) as minor_unit,
        cast(charged.unrounded_amount as {{ tally.quantity_type() }}) as unrounded_amount,
        {{ tally.round_money('charged.unrounded_amount', 'contract_periods.minor_unit') }} as amount
    from charged
    inner join contract_periods
        on charged.contract_period_id = contract_periods.contract_period_id
)

select * from final
