{#-
    SCD2 history of products (the "snapshot" of the design), derived from the export pictures in
    staging rather than from the state at run time, so landing several exports at once keeps
    every version and an incremental build equals a full one. See macro `scd2_from_exports`.
-#}

with

products as (

    select * from {{ ref('stg_ecommerce__products') }}

),

history as (

    {{ scd2_from_exports(
        'products',
        'product_id',
        [
            'sku', 'category_code', 'brand_code', 'color', 'size', 'material',
            'weight_grams', 'length_cm', 'width_cm', 'height_cm', 'rating_count',
        ],
    ) }}

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
        valid_from,
        valid_to,
        is_current,
        version_number,
        first_export_date,
        last_export_date
    from history

)

select * from final
