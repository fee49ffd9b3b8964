{#-
    Every Bronze products row as landed, with the one `reject_reason` (macro
    `ecommerce_reject_reason`) that sends it to quarantine, or null when staging can repair it.
    The only reader of the source: `stg_ecommerce__products` keeps the rows without a reason,
    `stg_ecommerce__products_rejected` the others, so the rule is computed in one place.
-#}

with

products as (

    select * from {{ source('bronze', 'products') }}

),

final as (

    select
        product_id,
        sku,
        category_code,
        brand_code,
        color,
        size,
        material,
        weight_grams,
        length_cm,
        width_cm,
        height_cm,
        rating_count,
        _rescued_data,
        _corrupt_record,
        _source_file,
        _source_row,
        _batch_id,
        _ingested_at,
        _file_modified_at,
        {{ ecommerce_reject_reason('products') }} as reject_reason
    from products

)

select * from final
