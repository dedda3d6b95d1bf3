{#- The tiers of graduated and volume prices, plan prices and contract overrides alike
    (price ids are unique across both), each with its lower bound: tier n covers
    (up_to of tier n-1, up_to of tier n], the first from 0, the last open (docs/price-book.md
    "price_tiers"). -#}

with

price_tiers as (
    select * from {{ ref('price_tiers') }}
),

contract_price_tiers as (
    select * from {{ ref('contract_price_tiers') }}
),

tiers as (
    select
        price_id,
        tier_number,
        up_to_quantity,
        unit_price,
        flat_fee_amount
    from price_tiers
    union all
    select
        price_id,
        tier_number,
        up_to_quantity,
        unit_price,
        flat_fee_amount
    from contract_price_tiers
),

final as (
    select
        cast(price_id || '|' || cast(tier_number as varchar) as varchar) as price_tier_id,
        cast(price_id as varchar) as price_id,
        cast(tier_number as integer) as tier_number,
        cast(
            row_number() over (partition by price_id order by tier_number) as integer
        ) as tier_rank,
        cast(
            coalesce(lag(up_to_quantity) over (partition by price_id order by tier_number), 0)
            as {{ tally.quantity_type() }}
        ) as lower_bound_quantity,
        cast(up_to_quantity as {{ tally.quantity_type() }}) as up_to_quantity,
        cast(unit_price as {{ tally.money_type() }}) as unit_price,
        cast(coalesce(flat_fee_amount, 0) as {{ tally.money_type() }}) as flat_fee_amount
    from tiers
)

select * from final
