{#-
    Customers, one row per SCD2 version (from `int_customers_scd2`), with the sales region of the
    (country, state) pair from the `region_map` seed (`Other` where the pair is not mapped), and
    an unknown member (`customer_key = '-1'`) for order lines whose customer has no version.
-#}

with

customers_history as (

    select * from {{ ref('int_customers_scd2') }}

),

region_map as (

    select * from {{ ref('region_map') }}

),

versions as (

    select
        {{ surrogate_key([
            'customers_history.customer_id',
            'unix_micros(customers_history.valid_from)',
        ]) }} as customer_key,
        customers_history.customer_id,
        customers_history.phone,
        customers_history.country_code,
        customers_history.country,
        customers_history.state,
        coalesce(region_map.region, 'Other') as region,
        customers_history.valid_from,
        customers_history.valid_to,
        customers_history.is_current
    from customers_history
    left outer join region_map
        on
            customers_history.country = region_map.country
            and customers_history.state = region_map.state

),

unknown_member as (

    select
        '-1' as customer_key,
        'UNKNOWN' as customer_id,
        'Not Available' as phone,
        'Not Available' as country_code,
        'Not Available' as country,
        'Not Available' as state,  -- noqa: RF04
        'Other' as region,
        {{ scd2_beginning_of_time() }} as valid_from,
        {{ scd2_end_of_time() }} as valid_to,
        true as is_current

),

final as (

    select * from versions
    union all
    select * from unknown_member

)

select * from final
