{#- Every invoice line before credits (PRICING.md steps 1 to 5), one shape for all: usage,
    discount, commitment, minimum and standing-charge lines of each contract's part. A line
    rounding to zero is left out, except usage lines and standing charges, which always
    appear. step_rank, contract_sequence and line_sequence give the invoice order: steps in
    PRICING.md's order (adjustments right after discounts), within a step the earlier
    contract's lines first, then each step's own order. -#}

{%- set columns = [
    ('invoice_line_id', 'varchar'),
    ('billing_account_id', 'varchar'),
    ('period_start_date', 'date'),
    ('contract_id', 'varchar'),
    ('contract_sequence', 'integer'),
    ('plan_id', 'varchar'),
    ('plan_version_id', 'varchar'),
    ('line_type', 'varchar'),
    ('line_sequence', 'integer'),
    ('price_id', 'varchar'),
    ('meter_id', 'varchar'),
    ('dimension_name', 'varchar'),
    ('dimension_value', 'varchar'),
    ('reference_id', 'varchar'),
    ('term_number', 'integer'),
    ('quantity', tally.quantity_type()),
    ('included_quantity', tally.quantity_type()),
    ('tiers_applied', 'varchar'),
    ('billing_timing', 'varchar'),
    ('currency_code', 'varchar'),
    ('minor_unit', 'integer'),
    ('unrounded_amount', tally.quantity_type()),
    ('amount', tally.money_type()),
] -%}

{%- set line_models = {
    'int_rated_usage': [
        'price_id', 'meter_id', 'dimension_name', 'dimension_value', 'quantity',
        'included_quantity', 'tiers_applied',
    ],
    'int_discounts_applied': [
        'price_id', 'meter_id', 'dimension_name', 'dimension_value', 'reference_id',
    ],
    'int_commitments_applied': ['reference_id', 'term_number'],
    'int_minimums_applied': ['reference_id'],
    'int_standing_charges_prorated': ['reference_id', 'billing_timing', 'quantity'],
} -%}

{%- set common = [
    'invoice_line_id', 'billing_account_id', 'period_start_date', 'contract_id',
    'contract_sequence', 'plan_id', 'plan_version_id', 'line_type', 'line_sequence',
    'currency_code', 'minor_unit', 'unrounded_amount', 'amount',
] -%}

with

{% for model_name in line_models %}
    {{ model_name }} as (
        select * from {{ ref(model_name) }}
    ),
{% endfor %}

unioned as (
    {% for model_name, own_columns in line_models.items() %}
        {%- set expressions = [] %}
        {%- for column_name, data_type in columns %}
            {%- set source = model_name ~ '.' ~ column_name if column_name in common or column_name in own_columns else 'null' %}
            {%- do expressions.append('cast(' ~ source ~ ' as ' ~ data_type ~ ') as ' ~ column_name) %}
        {%- endfor %}
        select
            {{ expressions | join(',\n            ') }}
        from {{ model_name }}
        {{ 'union all' if not loop.last }}
    {% endfor %}
),

final as (
    select
        *,
        cast(
            case line_type
                when 'usage' then 1
                when 'discount' then 2
                when 'adjustment' then 3
                when 'commitment_fee' then 4
                when 'commitment_drawdown' then 4
                when 'overage_adjustment' then 4
                when 'commitment_true_up' then 4
                when 'minimum_true_up' then 5
                when 'platform_fee' then 6
            end
            as integer
        ) as step_rank
    from unioned
    where
        line_type in ('usage', 'platform_fee')
        or amount <> 0
)

select * from final
