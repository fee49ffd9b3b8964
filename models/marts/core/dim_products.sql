{#-
    Products, one row per SCD2 version (from `int_products_scd2`), with the brand's name and the
    name of the brand's category from the current brands and categories pictures
    (`Not Available` where the brand or its category is unknown), and an unknown member
    (`product_key = '-1'`) for order lines whose product has no version.
-#}

with

products_history as (

    select * from {{ ref('int_products_scd2') }}

),

brands as (

    select * from {{ ref('stg_ecommerce__brands') }}

),

category as (

    select * from {{ ref('stg_ecommerce__category') }}

),

current_brands as (

    select
        brand_code,
        brand_name,
        category_code
    from brands
    where is_latest_export

),

current_categories as (

    select
        category_code,
        category_name
    from category
    where is_latest_export

),

versions as (

    select
        {{ surrogate_key([
            'products_history.product_id',
            'unix_micros(products_history.valid_from)',
        ]) }} as product_key,
        products_history.product_id,
        products_history.sku,
        products_history.category_code,
        coalesce(current_categories.category_name, 'Not Available') as category_name,
        products_history.brand_code,
        coalesce(current_brands.brand_name, 'Not Available') as brand_name,
        products_history.color,
        products_history.size,
        products_history.material,
        products_history.weight_grams,
        products_history.length_cm,
        products_history.width_cm,
        products_history.height_cm,
        products_history.rating_count,
        products_history.valid_from,
        products_history.valid_to,
        products_history.is_current
    from products_history
    left outer join current_brands
        on products_history.brand_code = current_brands.brand_code
    left outer join current_categories
        on current_brands.category_code = current_categories.category_code

),

unknown_member as (

    select
        '-1' as product_key,
        'UNKNOWN' as product_id,
        'Not Available' as sku,
        'Not Available' as category_code,
        'Not Available' as category_name,
        'Not Available' as brand_code,
        'Not Available' as brand_name,
        'Not Available' as color,
        'Not Available' as size,  -- noqa: RF04
        'Not Available' as material,
        cast(null as int) as weight_grams,
        cast(null as decimal(10, 2)) as length_cm,
        cast(null as decimal(10, 2)) as width_cm,
        cast(null as decimal(10, 2)) as height_cm,
        0 as rating_count,
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
