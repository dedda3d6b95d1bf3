{#- Every reference in the price book names something that exists, and every coded value
    is one of its list (docs/price-book.md, validation rules 2, 3 and 4): currencies, plans,
    plan versions, meters (seeds/metering/meters.csv), prices, contracts, commitments; charge
    models, billing timings, discount scopes and types, commitment types, fee schedules,
    grant covers; a keyed price's dimension one of its meter's group-by names. (Billing
    accounts are checked by assert_contracts_name_known_accounts.) Each failing row names
    the seed, the row and the unknown value. -#}

with

currencies as (
    select * from {{ ref('currencies') }}
),

plans as (
    select * from {{ ref('plans') }}
),

plan_versions as (
    select * from {{ ref('plan_versions') }}
),

meters as (
    select * from {{ ref('meters') }}
),

contracts as (
    select * from {{ ref('contracts') }}
),

commitments as (
    select * from {{ ref('commitments') }}
),

all_prices as (
    select
        'prices' as seed_name,
        price_id,
        meter_id,
        dimension_name,
        dimension_value,
        charge_model,
        plan_version_id,
        cast(null as varchar) as contract_id
    from {{ ref('prices') }}
    union all
    select
        'contract_prices' as seed_name,
        price_id,
        meter_id,
        dimension_name,
        dimension_value,
        charge_model,
        cast(null as varchar) as plan_version_id,
        contract_id
    from {{ ref('contract_prices') }}
),

failures as (
    select
        'plans' as seed_name,
        plans.plan_id as row_key,
        'unknown currency ' || plans.currency_code as problem
    from plans
    left join currencies
        on plans.currency_code = currencies.currency_code
    where currencies.currency_code is null

    union all

    select
        'plan_versions' as seed_name,
        plan_versions.plan_version_id as row_key,
        'unknown plan ' || plan_versions.plan_id as problem
    from plan_versions
    left join plans
        on plan_versions.plan_id = plans.plan_id
    where plans.plan_id is null

    union all

    select
        all_prices.seed_name,
        all_prices.price_id as row_key,
        'unknown plan version ' || all_prices.plan_version_id as problem
    from all_prices
    left join plan_versions
        on all_prices.plan_version_id = plan_versions.plan_version_id
    where all_prices.seed_name = 'prices' and plan_versions.plan_version_id is null

    union all

    select
        all_prices.seed_name,
        all_prices.price_id as row_key,
        'unknown contract ' || all_prices.contract_id as problem
    from all_prices
    left join contracts
        on all_prices.contract_id = contracts.contract_id
    where all_prices.seed_name = 'contract_prices' and contracts.contract_id is null

    union all

    select
        all_prices.seed_name,
        all_prices.price_id as row_key,
        'unknown meter ' || all_prices.meter_id as problem
    from all_prices
    left join meters
        on all_prices.meter_id = meters.meter_id
    where meters.meter_id is null

    union all

    select
        all_prices.seed_name,
        all_prices.price_id as row_key,
        'unknown charge model ' || coalesce(all_prices.charge_model, '(empty)') as problem
    from all_prices
    where
        all_prices.charge_model is null
        or all_prices.charge_model not in ('per_unit', 'graduated', 'volume', 'package', 'percentage')

    union all

    select
        all_prices.seed_name,
        all_prices.price_id as row_key,
        case
            when all_prices.dimension_name is null or all_prices.dimension_value is null
                then 'dimension_name and dimension_value must be set together'
            else 'dimension ' || all_prices.dimension_name || ' is not a group-by of meter ' || all_prices.meter_id
        end as problem
    from all_prices
    inner join meters
        on all_prices.meter_id = meters.meter_id
    where
        (all_prices.dimension_name is null) <> (all_prices.dimension_value is null)
        or (
            all_prices.dimension_name is not null
            and all_prices.dimension_name <> coalesce(meters.group_by_1, '')
            and all_prices.dimension_name <> coalesce(meters.group_by_2, '')
            and all_prices.dimension_name <> coalesce(meters.group_by_3, '')
        )

    union all

    select
        tiers.seed_name,
        tiers.price_id || '|' || cast(tiers.tier_number as varchar) as row_key,
        'unknown price ' || tiers.price_id as problem
    from (
        select
            'price_tiers' as seed_name,
            price_id,
            tier_number
        from {{ ref('price_tiers') }}
        union all
        select
            'contract_price_tiers' as seed_name,
            price_id,
            tier_number
        from {{ ref('contract_price_tiers') }}
    ) as tiers
    left join all_prices
        on
            tiers.price_id = all_prices.price_id
            and (tiers.seed_name = 'price_tiers') = (all_prices.seed_name = 'prices')
    where all_prices.price_id is null

    union all

    select
        'standing_charges' as seed_name,
        standing_charges.standing_charge_id as row_key,
        case
            when plan_versions.plan_version_id is null
                then 'unknown plan version ' || standing_charges.plan_version_id
            else 'unknown billing timing ' || coalesce(standing_charges.billing_timing, '(empty)')
        end as problem
    from {{ ref('standing_charges') }} as standing_charges
    left join plan_versions
        on standing_charges.plan_version_id = plan_versions.plan_version_id
    where
        plan_versions.plan_version_id is null
        or standing_charges.billing_timing is null
        or standing_charges.billing_timing not in ('advance', 'arrears')

    union all

    select
        'contracts' as seed_name,
        contracts.contract_id as row_key,
        'unknown plan ' || contracts.plan_id as problem
    from contracts
    left join plans
        on contracts.plan_id = plans.plan_id
    where plans.plan_id is null

    union all

    select
        'discounts' as seed_name,
        discounts.discount_id as row_key,
        case
            when contracts.contract_id is null then 'unknown contract ' || discounts.contract_id
            when discounts.scope is null or discounts.scope not in ('meter', 'usage_subtotal')
                then 'unknown scope ' || coalesce(discounts.scope, '(empty)')
            when discounts.discount_type is null or discounts.discount_type not in ('percent', 'fixed')
                then 'unknown discount type ' || coalesce(discounts.discount_type, '(empty)')
            when discounts.scope = 'meter' and meters.meter_id is null
                then 'unknown meter ' || coalesce(discounts.meter_id, '(empty)')
            when discounts.scope = 'usage_subtotal' and discounts.meter_id is not null
                then 'a usage_subtotal discount names meter ' || discounts.meter_id
            when discounts.discount_type = 'percent' and (discounts.discount_percent is null or discounts.discount_amount is not null)
                then 'a percent discount needs discount_percent and no discount_amount'
            when discounts.discount_type = 'fixed' and (discounts.discount_amount is null or discounts.discount_percent is not null)
                then 'a fixed discount needs discount_amount and no discount_percent'
        end as problem
    from {{ ref('discounts') }} as discounts
    left join contracts
        on discounts.contract_id = contracts.contract_id
    left join meters
        on discounts.meter_id = meters.meter_id

    union all

    select
        'commitments' as seed_name,
        commitments.commitment_id as row_key,
        case
            when contracts.contract_id is null then 'unknown contract ' || commitments.contract_id
            when commitments.commitment_type is null or commitments.commitment_type not in ('prepaid', 'postpaid')
                then 'unknown commitment type ' || coalesce(commitments.commitment_type, '(empty)')
            when
                commitments.commitment_type = 'prepaid'
                and (commitments.fee_schedule is null or commitments.fee_schedule not in ('upfront', 'instalments'))
                then 'unknown fee schedule ' || coalesce(commitments.fee_schedule, '(empty)') || ' of a prepaid commitment'
            when commitments.commitment_type = 'postpaid' and commitments.fee_schedule is not null
                then 'a postpaid commitment has fee schedule ' || commitments.fee_schedule
        end as problem
    from commitments
    left join contracts
        on commitments.contract_id = contracts.contract_id

    union all

    select
        'commitment_terms' as seed_name,
        commitment_terms.commitment_id || '|' || cast(commitment_terms.term_number as varchar) as row_key,
        'unknown commitment ' || commitment_terms.commitment_id as problem
    from {{ ref('commitment_terms') }} as commitment_terms
    left join commitments
        on commitment_terms.commitment_id = commitments.commitment_id
    where commitments.commitment_id is null

    union all

    select
        'minimum_spends' as seed_name,
        minimum_spends.minimum_spend_id as row_key,
        'unknown contract ' || minimum_spends.contract_id as problem
    from {{ ref('minimum_spends') }} as minimum_spends
    left join contracts
        on minimum_spends.contract_id = contracts.contract_id
    where contracts.contract_id is null

    union all

    select
        'credit_grants' as seed_name,
        credit_grants.grant_id as row_key,
        case
            when currencies.currency_code is null then 'unknown currency ' || coalesce(credit_grants.currency_code, '(empty)')
            else 'unknown covers ' || coalesce(credit_grants.covers, '(empty)')
        end as problem
    from {{ ref('credit_grants') }} as credit_grants
    left join currencies
        on credit_grants.currency_code = currencies.currency_code
    where
        currencies.currency_code is null
        or credit_grants.covers is null
        or credit_grants.covers not in ('usage', 'all')
),

final as (
    select
        seed_name,
        row_key,
        seed_name || ' ' || row_key || ': ' || problem as failure_message
    from failures
    where problem is not null
)

select * from final
