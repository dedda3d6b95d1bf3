{#- Tiers of graduated and volume prices (plan prices and contract overrides) must be
    contiguous (docs/price-book.md, validation rule 6): tier numbers 1..n without gaps,
    up_to strictly increasing (no overlap), only the last tier open and the last tier open;
    a graduated or volume price has tiers and no other price has any. Each failing row
    names the seed and the price. -#}

with

prices as (
    select
        'prices' as seed_name,
        price_id,
        charge_model
    from {{ ref('prices') }}
    union all
    select
        'contract_prices' as seed_name,
        price_id,
        charge_model
    from {{ ref('contract_prices') }}
),

tiers as (
    select
        'price_tiers' as seed_name,
        price_id,
        tier_number,
        up_to_quantity
    from {{ ref('price_tiers') }}
    union all
    select
        'contract_price_tiers' as seed_name,
        price_id,
        tier_number,
        up_to_quantity
    from {{ ref('contract_price_tiers') }}
),

ordered_tiers as (
    select
        seed_name,
        price_id,
        tier_number,
        up_to_quantity,
        row_number() over (partition by seed_name, price_id order by tier_number) as tier_rank,
        count(*) over (partition by seed_name, price_id) as tier_count,
        lag(up_to_quantity) over (partition by seed_name, price_id order by tier_number) as previous_up_to_quantity
    from tiers
),

tier_failures as (
    select
        seed_name,
        price_id || '|' || cast(tier_number as varchar) as row_key,
        case
            when tier_number <> tier_rank
                then 'tier numbers are not 1..n (a gap or a repeat at tier ' || cast(tier_number as varchar) || ')'
            when up_to_quantity is not null and up_to_quantity <= previous_up_to_quantity
                then
                    'up_to_quantity ' || cast(up_to_quantity as varchar)
                    || ' is not above the previous tier''s ' || cast(previous_up_to_quantity as varchar)
                    || ' (overlapping tiers)'
            when up_to_quantity is null and tier_rank < tier_count
                then 'an open tier (no up_to_quantity) that is not the last'
            when up_to_quantity is not null and tier_rank = tier_count
                then 'the last tier is not open (it has an up_to_quantity)'
        end as problem
    from ordered_tiers
),

tiered_price_ids as (
    select distinct price_id from tiers
),

price_failures as (
    select
        prices.seed_name,
        prices.price_id as row_key,
        case
            when prices.charge_model in ('graduated', 'volume') and tiered_price_ids.price_id is null
                then 'a ' || prices.charge_model || ' price without tiers'
            when prices.charge_model not in ('graduated', 'volume') and tiered_price_ids.price_id is not null
                then 'a ' || prices.charge_model || ' price with tiers (only graduated and volume prices have tiers)'
        end as problem
    from prices
    left join tiered_price_ids
        on prices.price_id = tiered_price_ids.price_id
),

failures as (
    select * from tier_failures
    union all
    select * from price_failures
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
