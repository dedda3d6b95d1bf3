{#- Billing accounts as last loaded: one row per account. -#}

with

landed as (
    select
        billing_account_id,
        account_name,
        currency_code,
        _loaded_at,
        _line_number
    from {{ source('raw', 'billing_accounts') }}
    where _load_error is null
),

latest as (
    select
        billing_account_id,
        account_name,
        upper(trim(currency_code)) as currency_code,
        row_number() over (
            partition by billing_account_id
            order by _loaded_at desc, _line_number desc
        ) as load_rank
    from landed
),

final as (
    select
        billing_account_id,
        account_name,
        currency_code
    from latest
    where load_rank = 1
)

select * from final
