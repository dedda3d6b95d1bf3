{#- Credits (PRICING.md step 6) and carry_forward, one step at a time. Grants are consumed
    strictly in order (priority, soonest expiry with none last, effective date, grant id);
    each grant in effect at any instant of a period pays, up to its balance, the invoice's
    unpaid covered lines (covers `usage`: usage, discount, commitment_drawdown,
    overage_adjustment and adjustment lines; `all`: every line but commitment_fee),
    negative covered lines netted first, never taking what it covers below zero; balances
    carry across periods. A negative total is closed by carry_forward, whose amount becomes
    a grant `carry-<YYYY-MM>` (covers all, priority 0, no expiry, effective from the next
    period's first day).

    What a grant pays depends only on two sums of the invoice: u, what is unpaid of the
    usage-covered lines (their sum when positive, else 0), and w, what is unpaid of the
    other covered lines (minimum_true_up, commitment_true_up, platform_fee; never negative)
    beyond it. Usage-covered lines come first in line order, so a `usage` grant pays
    min(balance, u) and an `all` grant min(balance, u) from u and then up to the rest of its
    balance from w. (When the usage-covered lines sum below zero, an `all` grant nets them
    against the others: w starts at max(0, usage-covered + others).)

    Balances carry from period to period and every payment depends on the ones before it,
    so this is a recursive CTE over each account's steps, one grant of one invoice per step,
    plus a closing step for an invoice whose total could turn negative. The recursive part
    uses no aggregate or window (Snowflake allows neither there): each row carries the
    account's grant balances as a fixed-width text ledger, 40 characters a slot. -#}

{%- set slot_width = 40 -%}

{#- Sub-expressions of the recursive step, over `previous` (the account's state after the
    step before) and `steps` (this step). -#}
{%- set usage_unpaid_before -%}
    case when steps.period_step_number = 1 then steps.initial_usage_unpaid_amount else previous.usage_unpaid_amount end
{%- endset -%}
{%- set other_unpaid_before -%}
    case when steps.period_step_number = 1 then steps.initial_other_unpaid_amount else previous.other_unpaid_amount end
{%- endset -%}
{%- set total_before -%}
    case when steps.period_step_number = 1 then steps.initial_total_amount else previous.total_amount end
{%- endset -%}
{%- set balance_before -%}
    cast(
        trim(substr(previous.ledger, (steps.slot_number - 1) * {{ slot_width }} + 1, {{ slot_width }}))
        as {{ tally.money_type() }}
    )
{%- endset -%}
{%- set usage_paid -%}
    case when steps.is_close_step then 0 else least({{ balance_before }}, {{ usage_unpaid_before }}) end
{%- endset -%}
{%- set other_paid -%}
    case
        when steps.is_close_step or steps.covers <> 'all' then 0
        else least({{ balance_before }} - {{ usage_paid }}, {{ other_unpaid_before }})
    end
{%- endset -%}
{%- set carry_amount -%}
    case when steps.is_close_step and {{ total_before }} < 0 then -1 * ({{ total_before }}) else 0 end
{%- endset -%}


with recursive

invoice_lines as (
    select * from {{ ref('int_invoice_lines_unioned') }}
),

credit_grants as (
    select * from {{ ref('credit_grants') }}
),

invoices as (
    select
        billing_account_id,
        period_start_date,
        cast({{ dbt.dateadd('month', 1, 'period_start_date') }} as date) as period_end_date,
        max(currency_code) as currency_code,
        max(minor_unit) as minor_unit,
        sum(
            cast(
                case
                    when line_type in ('usage', 'discount', 'commitment_drawdown', 'overage_adjustment', 'adjustment')
                        then amount
                    else 0
                end
                as {{ tally.money_type() }}
            )
        ) as usage_covered_amount,
        sum(
            cast(
                case
                    when line_type in ('commitment_true_up', 'minimum_true_up', 'platform_fee') then amount
                    else 0
                end
                as {{ tally.money_type() }}
            )
        ) as other_covered_amount,
        sum(
            cast(case when line_type = 'commitment_fee' then amount else 0 end as {{ tally.money_type() }})
        ) as fee_amount,
        sum(cast(amount as {{ tally.money_type() }})) as total_amount
    from invoice_lines
    group by
        billing_account_id,
        period_start_date
),

carry_grants as (
    -- A carry grant can only arise on an invoice whose total before credits is negative,
    -- or whose commitment fees are (credits never pay those): elsewhere the total after
    -- credits is at least min(total, fees).
    select
        billing_account_id,
        'carry-' || substr(cast(period_start_date as varchar), 1, 7) as grant_id,
        period_start_date as created_period_start_date,
        period_end_date as effective_date,
        cast(null as date) as expiry_date,
        0 as priority,
        'all' as covers,
        cast(0 as {{ tally.money_type() }}) as grant_amount,
        true as is_carry
    from invoices
    where total_amount < 0 or fee_amount < 0
),

all_grants as (
    select
        billing_account_id,
        grant_id,
        cast(null as date) as created_period_start_date,
        effective_date,
        expiry_date,
        priority,
        covers,
        cast(grant_amount as {{ tally.money_type() }}) as grant_amount,
        false as is_carry
    from credit_grants
    union all
    select * from carry_grants
),

grant_slots as (
    select
        *,
        row_number() over (
            partition by billing_account_id
            order by is_carry, created_period_start_date, grant_id
        ) as slot_number
    from all_grants
),

initial_ledgers as (
    select
        billing_account_id,
        {{ dbt.listagg(
            "lpad(cast(grant_amount as varchar), " ~ slot_width ~ ", ' ')",
            "''",
            "order by slot_number",
        ) }} as ledger
    from grant_slots
    group by billing_account_id
),

grant_items as (
    select
        invoices.billing_account_id,
        invoices.period_start_date,
        false as is_close_step,
        grant_slots.grant_id,
        grant_slots.slot_number,
        grant_slots.covers,
        grant_slots.priority,
        grant_slots.expiry_date,
        grant_slots.effective_date
    from invoices
    inner join grant_slots
        on
            invoices.billing_account_id = grant_slots.billing_account_id
            and grant_slots.effective_date < invoices.period_end_date
            and (grant_slots.expiry_date is null or grant_slots.expiry_date > invoices.period_start_date)
),

close_items as (
    select
        carry_grants.billing_account_id,
        carry_grants.created_period_start_date as period_start_date,
        true as is_close_step,
        carry_grants.grant_id,
        grant_slots.slot_number,
        carry_grants.covers,
        carry_grants.priority,
        carry_grants.expiry_date,
        carry_grants.effective_date
    from carry_grants
    inner join grant_slots
        on
            carry_grants.billing_account_id = grant_slots.billing_account_id
            and carry_grants.grant_id = grant_slots.grant_id
),

items as (
    select * from grant_items
    union all
    select * from close_items
),

steps as (
    select
        items.*,
        invoices.currency_code,
        invoices.minor_unit,
        greatest(invoices.usage_covered_amount, 0) as initial_usage_unpaid_amount,
        greatest(invoices.usage_covered_amount + invoices.other_covered_amount, 0)
        - greatest(invoices.usage_covered_amount, 0) as initial_other_unpaid_amount,
        invoices.total_amount as initial_total_amount,
        row_number() over (
            partition by items.billing_account_id
            order by
                items.period_start_date,
                items.is_close_step,
                items.priority,
                items.expiry_date is null,
                items.expiry_date,
                items.effective_date,
                items.grant_id
        ) as step_number,
        row_number() over (
            partition by items.billing_account_id, items.period_start_date
            order by
                items.is_close_step,
                items.priority,
                items.expiry_date is null,
                items.expiry_date,
                items.effective_date,
                items.grant_id
        ) as period_step_number
    from items
    inner join invoices
        on
            items.billing_account_id = invoices.billing_account_id
            and items.period_start_date = invoices.period_start_date
),


credit_states as (
    select
        initial_ledgers.billing_account_id,
        cast(0 as bigint) as step_number,
        cast(null as date) as period_start_date,
        cast(null as varchar) as grant_id,
        cast(null as boolean) as is_close_step,
        cast(null as varchar) as currency_code,
        cast(null as integer) as minor_unit,
        cast(null as {{ tally.money_type() }}) as balance_before_amount,
        cast(0 as {{ tally.money_type() }}) as paid_amount,
        cast(0 as {{ tally.money_type() }}) as carry_amount,
        cast(0 as {{ tally.money_type() }}) as usage_unpaid_amount,
        cast(0 as {{ tally.money_type() }}) as other_unpaid_amount,
        cast(0 as {{ tally.money_type() }}) as total_amount,
        cast(initial_ledgers.ledger as varchar) as ledger
    from initial_ledgers

    union all

    select
        previous.billing_account_id,
        cast(steps.step_number as bigint) as step_number,
        cast(steps.period_start_date as date) as period_start_date,
        cast(steps.grant_id as varchar) as grant_id,
        cast(steps.is_close_step as boolean) as is_close_step,
        cast(steps.currency_code as varchar) as currency_code,
        cast(steps.minor_unit as integer) as minor_unit,
        cast({{ balance_before }} as {{ tally.money_type() }}) as balance_before_amount,
        cast({{ usage_paid }} + {{ other_paid }} as {{ tally.money_type() }}) as paid_amount,
        cast({{ carry_amount }} as {{ tally.money_type() }}) as carry_amount,
        cast({{ usage_unpaid_before }} - {{ usage_paid }} as {{ tally.money_type() }}) as usage_unpaid_amount,
        cast({{ other_unpaid_before }} - {{ other_paid }} as {{ tally.money_type() }}) as other_unpaid_amount,
        cast({{ total_before }} - {{ usage_paid }} - {{ other_paid }} + {{ carry_amount }} as {{ tally.money_type() }})
            as total_amount,
        cast(
            substr(previous.ledger, 1, (steps.slot_number - 1) * {{ slot_width }})
            || lpad(
                cast(
                    cast(
                        case
                            when steps.is_close_step then {{ carry_amount }}
                            else {{ balance_before }} - {{ usage_paid }} - {{ other_paid }}
                        end
                        as {{ tally.money_type() }}
                    )
                    as varchar
                ),
                {{ slot_width }},
                ' '
            )
            || substr(previous.ledger, steps.slot_number * {{ slot_width }} + 1)
            as varchar
        ) as ledger
    from credit_states as previous
    inner join steps
        on
            previous.billing_account_id = steps.billing_account_id
            and previous.step_number + 1 = steps.step_number
),

final as (
    select
        cast(billing_account_id || '|' || cast(step_number as varchar) as varchar) as credit_step_id,
        cast(billing_account_id as varchar) as billing_account_id,
        cast(step_number as integer) as step_number,
        cast(period_start_date as date) as period_start_date,
        cast(grant_id as varchar) as grant_id,
        cast(is_close_step as boolean) as is_close_step,
        cast(currency_code as varchar) as currency_code,
        cast(minor_unit as integer) as minor_unit,
        cast(balance_before_amount as {{ tally.money_type() }}) as balance_before_amount,
        cast(paid_amount as {{ tally.money_type() }}) as paid_amount,
        cast(carry_amount as {{ tally.money_type() }}) as carry_amount,
        cast(total_amount as {{ tally.money_type() }}) as total_after_amount
    from credit_states
    where step_number > 0
)

select * from final
