{#-
    Products: one row per product per export picture (every dated export is kept: the SCD2
    history is derived from them), typed and cleaned; within a picture a repeated key keeps its
    last row. `is_latest_export` marks the current picture.
-#}

with

products as (

    select * from {{ ref('base_ecommerce__products') }}

),

material_spelling_fixes as (

    select * from {{ ref('material_spelling_fixes') }}

),

pictures as (

    select
        *,
        {{ picture_export_date() }} as export_date
    from products

),

latest_export as (

    select max({{ picture_order() }})._source_file as latest_source_file
    from pictures

),

cleaned as (

    select
        trim(product_id) as product_id,
        {{ trim_to_null('sku') }} as sku,
        {{ clean_code('category_code') }} as category_code,
        {{ clean_brand_code('brand_code') }} as brand_code,
        {{ trim_to_null('color') }} as color,
        {{ trim_to_null('size') }} as size,  -- noqa: RF04
        {{ trim_to_null('material') }} as source_material,
        -- Grams, the unit stripped (`305g`, `305 g`, `305grams` -> 305).
        try_cast(
            regexp_replace(trim(weight_grams), '(?i) *(grams|gram|gr|g)$', '') as int
        ) as weight_grams,
        {{ parse_decimal_comma('length_cm') }} as length_cm,
        {{ parse_decimal_comma('width_cm') }} as width_cm,
        {{ parse_decimal_comma('height_cm') }} as height_cm,
        -- Negative counts are sign errors (`-57` -> 57); missing -> 0; not an integer -> null.
        case
            when {{ trim_to_null('rating_count') }} is null then 0
            else abs({{ parse_integer('rating_count') }})
        end as rating_count,
        export_date,
        _rescued_data,
        _source_file,
        _source_row,
        _batch_id,
        _ingested_at
    from pictures
    where reject_reason is null

),

material_fixed as (

    select
        cleaned.*,
        coalesce(material_spelling_fixes.material, cleaned.source_material) as material
    from cleaned
    left outer join material_spelling_fixes
        on lower(cleaned.source_material) = lower(material_spelling_fixes.source_material)

),

ranked as (

    select
        *,
        row_number() over (
            partition by _source_file, product_id order by _source_row desc
        ) as copy_rank,
        count(*) over (partition by _source_file, product_id) - 1 as duplicates_dropped
    from material_fixed

),

final as (

    select
        ranked.product_id,
        ranked.sku,
        ranked.category_code,
        ranked.brand_code,
        ranked.color,
        ranked.size,
        ranked.material,
        ranked.weight_grams,
        ranked.length_cm,
        ranked.width_cm,
        ranked.height_cm,
        ranked.rating_count,
        ranked.export_date,
        ranked._source_file = latest_export.latest_source_file as is_latest_export,
        ranked._rescued_data,
        ranked.duplicates_dropped as _duplicates_dropped,
        ranked._source_file,
        ranked._source_row,
        ranked._batch_id,
        ranked._ingested_at
    from ranked
    cross join latest_export
    where ranked.copy_rank = 1

)

select * from final
