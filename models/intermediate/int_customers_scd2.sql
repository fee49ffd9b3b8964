{#-
    SCD2 history of customers (the "snapshot" of the design), derived from the export pictures
    in staging rather than from the state at run time, so landing several exports at once keeps
    every version and an incremental build equals a full one. See macro `scd2_from_exports`.
-#}

with

customers as (

    select * from {{ ref('stg_ecommerce__customers') }}

),

history as (

    {{ scd2_from_exports(
        'customers',
        'customer_id',
        ['phone', 'country_code', 'country', 'state'],
    ) }}

),

final as (

    select
        customer_id,
        phone,
        country_code,
        country,
        state,
        valid_from,
        valid_to,
        is_current,
        version_number,
        first_export_date,
        last_export_date
    from history

)

select * from final
