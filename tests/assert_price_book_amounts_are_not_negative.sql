{#- No negative number anywhere in the price book (docs/price-book.md, validation rules 5
    and 14): prices and overrides (unit price, included units, package price, rate, fees,
    clamps, allowances), tiers (unit price, flat fee, up_to), standing charges, discounts,
    commitment amounts and minimums; unit_quantity and package_quantity positive; a
    percentage price's minimum not above its maximum; a credit grant's amount positive.
    unit_quantity (the N of "per N units") and package_quantity are whole numbers too: the
    rating divides by them exactly only as whole numbers (tally.divide).
    Each failing row names the seed, the row and the column. -#}

{%- set price_checks = [
    ('unit_price', '< 0'),
    ('included_quantity', '< 0'),
    ('package_price', '< 0'),
    ('rate_percent', '< 0'),
    ('fixed_fee_amount', '< 0'),
    ('minimum_charge_amount', '< 0'),
    ('maximum_charge_amount', '< 0'),
    ('free_transaction_count', '< 0'),
    ('free_allowance_amount', '< 0'),
    ('unit_quantity', '<= 0'),
    ('package_quantity', '<= 0'),
] -%}

{%- set other_checks = [
    ('price_tiers', "price_id || '|' || cast(tier_number as varchar)", 'unit_price', '< 0'),
    ('price_tiers', "price_id || '|' || cast(tier_number as varchar)", 'flat_fee_amount', '< 0'),
    ('price_tiers', "price_id || '|' || cast(tier_number as varchar)", 'up_to_quantity', '<= 0'),
    ('contract_price_tiers', "price_id || '|' || cast(tier_number as varchar)", 'unit_price', '< 0'),
    ('contract_price_tiers', "price_id || '|' || cast(tier_number as varchar)", 'flat_fee_amount', '< 0'),
    ('contract_price_tiers', "price_id || '|' || cast(tier_number as varchar)", 'up_to_quantity', '<= 0'),
    ('standing_charges', 'standing_charge_id', 'charge_amount', '< 0'),
    ('discounts', 'discount_id', 'discount_amount', '< 0'),
    ('discounts', 'discount_id', 'discount_percent', '< 0'),
    ('commitment_terms', "commitment_id || '|' || cast(term_number as varchar)", 'commitment_amount', '< 0'),
    ('commitments', 'commitment_id', 'overage_rate_percent', '< 0'),
    ('minimum_spends', 'minimum_spend_id', 'minimum_amount', '< 0'),
    ('credit_grants', 'grant_id', 'grant_amount', '<= 0'),
] -%}

with

failures as (
    {%- for seed_name in ['prices', 'contract_prices'] %}
        {%- for column_name, condition in price_checks %}
            select
                '{{ seed_name }}' as seed_name,
                price_id as row_key,
                '{{ column_name }} ' || cast({{ column_name }} as varchar)
                || ' is {{ "not positive" if condition == "<= 0" else "negative" }}' as problem
            from {{ ref(seed_name) }}
            where {{ column_name }} {{ condition }}
            union all
        {%- endfor %}
        select
            '{{ seed_name }}' as seed_name,
            price_id as row_key,
            case
                when floor(unit_quantity) <> unit_quantity then 'unit_quantity ' || cast(unit_quantity as varchar)
                else 'package_quantity ' || cast(package_quantity as varchar)
            end || ' is not a whole number of units' as problem
        from {{ ref(seed_name) }}
        where floor(unit_quantity) <> unit_quantity or floor(package_quantity) <> package_quantity
        union all
        select
            '{{ seed_name }}' as seed_name,
            price_id as row_key,
            'minimum_charge_amount ' || cast(minimum_charge_amount as varchar)
            || ' is above maximum_charge_amount ' || cast(maximum_charge_amount as varchar) as problem
        from {{ ref(seed_name) }}
        where minimum_charge_amount > maximum_charge_amount
        union all
    {%- endfor %}
    {%- for seed_name, key_expression, column_name, condition in other_checks %}
        select
            '{{ seed_name }}' as seed_name,
            {{ key_expression }} as row_key,
            '{{ column_name }} ' || cast({{ column_name }} as varchar)
            || ' is {{ "not positive" if condition == "<= 0" else "negative" }}' as problem
        from {{ ref(seed_name) }}
        where {{ column_name }} {{ condition }}
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

final as (
    select
        seed_name,
        row_key,
        seed_name || ' ' || row_key || ': ' || problem as failure_message
    from failures
)

select * from final
