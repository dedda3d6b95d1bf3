{#- Percent discounts of one contract and scope (one meter, or the usage subtotal) in force
    together add up, and above 100 % together the build fails (PRICING.md step 2;
    docs/price-book.md, validation rule 15). The sum only changes when a discount starts,
    so it is checked on every percent discount's effective_from_date; the failing row names
    the contract, scope, date and the discounts. -#}

with

discounts as (
    select * from {{ ref('discounts') }}
    where discount_type = 'percent'
),

check_dates as (
    select distinct
        contract_id,
        scope,
        meter_id,
        effective_from_date as check_date
    from discounts
),

in_force as (
    select
        check_dates.contract_id,
        check_dates.scope,
        check_dates.meter_id,
        check_dates.check_date,
        sum(cast(discounts.discount_percent as {{ tally.money_type() }})) as total_percent,
        max(discounts.discount_id) as last_discount_id,
        {{ dbt.listagg('discounts.discount_id', "', '", 'order by discounts.discount_id') }} as discount_ids
    from check_dates
    inner join discounts
        on
            check_dates.contract_id = discounts.contract_id
            and check_dates.scope = discounts.scope
            and coalesce(check_dates.meter_id, '') = coalesce(discounts.meter_id, '')
            and discounts.effective_from_date <= check_dates.check_date
            and (discounts.effective_to_date is null or check_dates.check_date < discounts.effective_to_date)
    group by
        check_dates.contract_id,
        check_dates.scope,
        check_dates.meter_id,
        check_dates.check_date
),

final as (
    select
        'discounts' as seed_name,
        last_discount_id as row_key,
        'contract ' || contract_id || ': percent discounts on '
        || case when scope = 'meter' then 'meter ' || meter_id else 'the usage subtotal' end
        || ' add up to ' || cast(total_percent as varchar) || ' % on ' || cast(check_date as varchar)
        || ' (' || discount_ids || ')' as failure_message
    from in_force
    where total_percent > 100
)

select * from final
