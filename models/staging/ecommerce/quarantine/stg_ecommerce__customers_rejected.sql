{#-
    Quarantine of bronze.customers: every row that cannot be repaired, with one `reject_reason`
    (from `base_ecommerce__customers`), its values exactly as landed and its lineage.
-#}

with

customers as (

    select * from {{ ref('base_ecommerce__customers') }}

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
    from customers
    where reject_reason is not null

)

select * from final
