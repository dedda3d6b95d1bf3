{#- A contract or credit grant for a billing account the product does not know
    (stg_raw__billing_accounts) would bill nobody (docs/price-book.md, validation rule 2):
    the build fails naming the row and the account. -#}

with

billing_accounts as (
    select * from {{ ref('stg_raw__billing_accounts') }}
),

account_rows as (
    select
        'contracts' as seed_name,
        contract_id as row_key,
        billing_account_id
    from {{ ref('contracts') }}
    union all
    select
        'credit_grants' as seed_name,
        grant_id as row_key,
        billing_account_id
    from {{ ref('credit_grants') }}
),

final as (
    select
        account_rows.seed_name,
        account_rows.row_key,
        account_rows.seed_name || ' ' || account_rows.row_key || ': unknown billing account '
        || coalesce(account_rows.billing_account_id, '(empty)') as failure_message
    from account_rows
    left join billing_accounts
        on account_rows.billing_account_id = billing_accounts.billing_account_id
    where billing_accounts.billing_account_id is null
)

select * from final
