{#-
    Quarantine of bronze.customers: every row that cannot be repaired, with one `reject_reason`
    (see macro `ecommerce_reject_reason`), its values exactly as landed and its lineage.
-#}

with

customers as (

    select * from {{ source('bronze', 'customers') }}

),

classified as (

    select
        *,
        {{ ecommerce_reject_reason('customers') }} as reject_reason
    from customers

),

final as (

    select
        reject_reason,
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
        _ingested_at
    from classified
    where reject_reason is not null

)

select * from final
