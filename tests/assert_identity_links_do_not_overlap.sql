{#- Two links of one subject (API key, wallet), workspace or organisation that overlap in
    time would bill the same usage twice or to two accounts: the build fails, naming it. -#}

{%- set link_models = [
    ('stg_raw__api_keys', 'api_key_id', 'api key'),
    ('stg_raw__wallets', 'wallet_address', 'wallet'),
    ('stg_raw__workspaces', 'workspace_id', 'workspace'),
    ('stg_raw__organisations', 'organisation_id', 'organisation'),
] %}

with

{% for model_name, key_column, label in link_models %}
    {{ model_name }}_overlaps as (
        select
            '{{ label }}' as entity_type,
            earlier.{{ key_column }} as entity_id,
            earlier.valid_from as first_valid_from,
            earlier.valid_to as first_valid_to,
            later.valid_from as second_valid_from,
            later.valid_to as second_valid_to
        from {{ ref(model_name) }} as earlier
        inner join {{ ref(model_name) }} as later
            on
                earlier.{{ key_column }} = later.{{ key_column }}
                and earlier.valid_from <= later.valid_from
                and earlier.link_id <> later.link_id
                and later.valid_from < coalesce(earlier.valid_to, {{ tally.end_of_time() }})
    ),
{% endfor %}

final as (
    {% for model_name, key_column, label in link_models %}
        select
            *,
            entity_type || ' ' || entity_id || ' has overlapping links from '
            || cast(first_valid_from as varchar) || ' and from '
            || cast(second_valid_from as varchar) as failure_message
        from {{ model_name }}_overlaps
        {{ 'union all' if not loop.last }}
    {% endfor %}
)

select * from final
