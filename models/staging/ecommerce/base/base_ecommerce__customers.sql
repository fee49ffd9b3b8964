{#-
    Every Bronze customers row as landed, with the one `reject_reason` (macro
    `ecommerce_reject_reason`) that sends it to quarantine, or null when staging can repair it.
    The only reader of the source: `stg_ecommerce__customers` keeps the rows without a reason,
    `stg_ecommerce__customers_rejected` the others, so the rule is computed in one place.
-#}

with

customers as (

    select * from {{ source('bronze', 'customers') }}

),

final as (

    select
        customer_id,
        phone,
        country_code,
        country,
        state,
        _rescued_data,
        _corrupt_record,
        _source_file,
        _source_row,
        _batch_id,
        _ingested_at,
        _file_modified_at,
        {{ ecommerce_reject_reason('customers') }} as reject_reason
    from customers

)

select * from final
