with

order_items as (

    select * from {{ ref('fct_order_items') }}

),

products as (

    select * from {{ ref('dim_products') }}

),

-- Brands are reported under their current category.
current_products as (

    select * from products
    where is_current

),

by_brand as (

    select
        coalesce(current_products.brand_code, 'Not Available') as brand_code,
        coalesce(current_products.brand_name, 'Not Available') as brand_name,
        coalesce(current_products.category_code, 'Not Available') as category_code,
        coalesce(current_products.category_name, 'Not Available') as category_name,
        count(distinct order_items.product_id) as products_sold,
        sum(order_items.quantity) as units,
        cast(sum(order_items.net_amount_inr) as decimal(20, 2)) as revenue_inr,
        count(distinct order_items.transaction_id) as orders,
        cast(avg(order_items.discount_percent) as decimal(5, 2)) as average_discount_pct
    from order_items
    left outer join current_products
        on order_items.product_id = current_products.product_id
    group by 1, 2, 3, 4

),

final as (

    select
        by_brand.*,
        dense_rank() over (
            partition by by_brand.category_code
            order by by_brand.revenue_inr desc nulls last
        ) as revenue_rank_in_category
    from by_brand

)

select * from final
