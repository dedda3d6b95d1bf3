{#- The rating reads the counted events of latest and unique_count meters and of meters with
    a percentage price one by one (int_rated_usage), so int_events_summarised must keep
    each of them whole. Returns the account, meter and day of any such usage that was
    counted into a group instead (its events' quantities would be lost to the rating). -#}

with

summarised as (
    select * from {{ ref('int_events_summarised') }}
),

prices_in_force as (
    select * from {{ ref('int_prices_in_force') }}
),

percentage_priced_meters as (
    select distinct meter_id from prices_in_force
    where charge_model = 'percentage'
),

final as (
    select
        summarised.billing_account_id,
        summarised.meter_id,
        summarised.usage_date,
        summarised.row_count
    from summarised
    where
        summarised.is_counted
        and not summarised.is_kept_whole
        and (
            summarised.aggregation in ('latest', 'unique_count')
            or summarised.meter_id in (select meter_id from percentage_priced_meters)
        )
)

select * from final
