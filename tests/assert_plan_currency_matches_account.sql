{#- A plan has one currency, which must be the currency of every account on it, and a
    credit grant is in its account's currency (PRICING.md "Prices and contracts in detail";
    docs/price-book.md, validation rule 13). Each failing row names the contract or grant,
    the account and both currencies. -#}

with

billing_accounts as (
    select * from {{ ref('stg_raw__billing_accounts') }}
),

contracts as (
    select * from {{ ref('contracts') }}
),

plans as (
    select * from {{ ref('plans') }}
),

account_currencies as (
    select
        'contracts' as seed_name,
        contracts.contract_id as row_key,
        contracts.billing_account_id,
        'plan ' || plans.plan_id as what,
        plans.currency_code
    from contracts
    inner join plans
        on contracts.plan_id = plans.plan_id
    union all
    select
        'credit_grants' as seed_name,
        grant_id as row_key,
        billing_account_id,
        'the grant' as what,
        currency_code
    from {{ ref('credit_grants') }}
),

final as (
    select
        account_currencies.seed_name,
        account_currencies.row_key,
        account_currencies.seed_name || ' ' || account_currencies.row_key || ': ' || account_currencies.what
        || ' is in ' || coalesce(account_currencies.currency_code, '(empty)') || ' but billing account '
        || account_currencies.billing_account_id || ' is in '
        || coalesce(billing_accounts.currency_code, '(empty)') as failure_message
    from account_currencies
    inner join billing_accounts
        on account_currencies.billing_account_id = billing_accounts.billing_account_id
    where
        account_currencies.currency_code <> billing_accounts.currency_code
        or account_currencies.currency_code is null
        or billing_accounts.currency_code is null
)

select * from final
