with

order_items as (

    select * from {{ ref('fct_order_items') }}

),

products as (

    select * from {{ ref('dim_products') }}

),

current_products as (

    select * from products
    where is_current

),

sales as (

    select
        coalesce(product_id, 'UNKNOWN') as product_id,
        sum(quantity) as units,
        cast(sum(net_amount_inr) as decimal(20, 2)) as revenue_inr,
        count(distinct transaction_id) as orders,
        cast(avg(discount_percent) as decimal(5, 2)) as average_discount_pct
    from order_items
    group by coalesce(product_id, 'UNKNOWN')

),

final as (

    select
        sales.product_id,
        coalesce(current_products.sku, 'Not Available') as sku,
        coalesce(current_products.category_code, 'Not Available') as category_code,
        coalesce(current_products.category_name, 'Not Available') as category_name,
        coalesce(current_products.brand_code, 'Not Available') as brand_code,
        coalesce(current_products.brand_name, 'Not Available') as brand_name,
        sales.units,
        sales.revenue_inr,
        sales.orders,
        sales.average_discount_pct,
        dense_rank() over (
            partition by coalesce(current_products.category_code, 'Not Available')
            order by sales.revenue_inr desc nulls last
        ) as revenue_rank_in_category
    from sales
    left outer join current_products
        on sales.product_id = current_products.product_id

)

select * from final
