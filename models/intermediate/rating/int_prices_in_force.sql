{#- The prices of each contract's part of a period: the plan version in force on the
    period's first day, with the contract's overrides in force that period on top. An
    unkeyed override of a meter replaces every plan price of that meter; a keyed override
    replaces the plan price of its dimension value or adds one; an override of a meter the
    plan does not price adds it (docs/price-book.md "contract_prices"). -#}

with

contract_periods as (
    select * from {{ ref('int_contract_periods') }}
),

prices as (
    select * from {{ ref('prices') }}
),

contract_prices as (
    select * from {{ ref('contract_prices') }}
),

plan_prices as (
    select
        contract_periods.contract_period_id,
        contract_periods.contract_id,
        contract_periods.period_start_date,
        prices.price_id,
        'plan' as price_source,
        prices.meter_id,
        prices.dimension_name,
        prices.dimension_value,
        prices.charge_model,
        prices.unit_price,
        prices.unit_quantity,
        prices.included_quantity,
        prices.package_quantity,
        prices.package_price,
        prices.rate_percent,
        prices.fixed_fee_amount,
        prices.minimum_charge_amount,
        prices.maximum_charge_amount,
        prices.free_transaction_count,
        prices.free_allowance_amount
    from contract_periods
    inner join prices
        on contract_periods.plan_version_id = prices.plan_version_id
),

overrides as (
    select
        contract_periods.contract_period_id,
        contract_periods.contract_id,
        contract_periods.period_start_date,
        contract_prices.price_id,
        'contract' as price_source,
        contract_prices.meter_id,
        contract_prices.dimension_name,
        contract_prices.dimension_value,
        contract_prices.charge_model,
        contract_prices.unit_price,
        contract_prices.unit_quantity,
        contract_prices.included_quantity,
        contract_prices.package_quantity,
        contract_prices.package_price,
        contract_prices.rate_percent,
        contract_prices.fixed_fee_amount,
        contract_prices.minimum_charge_amount,
        contract_prices.maximum_charge_amount,
        contract_prices.free_transaction_count,
        contract_prices.free_allowance_amount
    from contract_periods
    inner join contract_prices
        on
            contract_periods.contract_id = contract_prices.contract_id
            and contract_prices.effective_from_date <= contract_periods.period_start_date
            and (
                contract_prices.effective_to_date is null
                or contract_periods.period_start_date < contract_prices.effective_to_date
            )
),

unkeyed_override_meters as (
    select distinct
        contract_period_id,
        meter_id
    from overrides
    where dimension_name is null
),

replaced_plan_prices as (
    -- A keyed plan price whose dimension value a keyed override of its meter names.
    select distinct
        plan_prices.contract_period_id,
        plan_prices.price_id
    from plan_prices
    inner join overrides
        on
            plan_prices.contract_period_id = overrides.contract_period_id
            and plan_prices.meter_id = overrides.meter_id
            and plan_prices.dimension_value = overrides.dimension_value
),

kept_plan_prices as (
    select plan_prices.*
    from plan_prices
    left join unkeyed_override_meters
        on
            plan_prices.contract_period_id = unkeyed_override_meters.contract_period_id
            and plan_prices.meter_id = unkeyed_override_meters.meter_id
    left join replaced_plan_prices
        on
            plan_prices.contract_period_id = replaced_plan_prices.contract_period_id
            and plan_prices.price_id = replaced_plan_prices.price_id
    where
        unkeyed_override_meters.meter_id is null
        and replaced_plan_prices.price_id is null
),

in_force as (
    select * from kept_plan_prices
    union all
    select * from overrides
),

final as (
    select
        cast(in_force.contract_period_id || '|' || in_force.price_id as varchar) as price_in_force_id,
        cast(in_force.contract_period_id as varchar) as contract_period_id,
        cast(in_force.contract_id as varchar) as contract_id,
        cast(in_force.period_start_date as date) as period_start_date,
        cast(in_force.price_id as varchar) as price_id,
        cast(in_force.price_source as varchar) as price_source,
        cast(in_force.meter_id as varchar) as meter_id,
        cast(in_force.dimension_name as varchar) as dimension_name,
        cast(in_force.dimension_value as varchar) as dimension_value,
        in_force.dimension_name is not null as is_keyed,
        cast(
            max(in_force.dimension_name)
                over (
                    partition by in_force.contract_period_id, in_force.meter_id
                )
            as varchar
        ) as meter_key_name,
        cast(in_force.charge_model as varchar) as charge_model,
        cast(in_force.unit_price as {{ tally.money_type() }}) as unit_price,
        cast(coalesce(in_force.unit_quantity, 1) as {{ tally.quantity_type() }}) as unit_quantity,
        cast(coalesce(in_force.included_quantity, 0) as {{ tally.quantity_type() }}) as included_quantity,
        cast(in_force.package_quantity as {{ tally.quantity_type() }}) as package_quantity,
        cast(in_force.package_price as {{ tally.money_type() }}) as package_price,
        cast(in_force.rate_percent as {{ tally.money_type() }}) as rate_percent,
        cast(in_force.fixed_fee_amount as {{ tally.money_type() }}) as fixed_fee_amount,
        cast(in_force.minimum_charge_amount as {{ tally.money_type() }}) as minimum_charge_amount,
        cast(in_force.maximum_charge_amount as {{ tally.money_type() }}) as maximum_charge_amount,
        cast(in_force.free_transaction_count as integer) as free_transaction_count,
        cast(in_force.free_allowance_amount as {{ tally.money_type() }}) as free_allowance_amount
    from in_force
)

select * from final
