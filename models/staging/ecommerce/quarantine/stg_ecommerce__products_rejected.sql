{#-
    Quarantine of bronze.products: every row that cannot be repaired, with one `reject_reason`
    (from `base_ecommerce__products`), its values exactly as landed and its lineage.
-#}

with

products as (

    select * from {{ ref('base_ecommerce__products') }}

),

final as (

    select
        reject_reason,
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
        _ingested_at
    from products
    where reject_reason is not null

)

select * from final
