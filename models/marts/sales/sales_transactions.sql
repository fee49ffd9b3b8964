{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        tblproperties=var('merged_table_properties'),
        unique_key=['transaction_id', 'seq_no'],
        on_schema_change='fail',
    )
}}

with

order_items as (

    select * from {{ ref('fct_order_items') }}
    {% if is_incremental() %}
        where {{ newer_than_processed('_ingested_at', 'timestamp') }}
    {% endif %}

),

dates as (

    select * from {{ ref('dim_date') }}

),

products as (

    select * from {{ ref('dim_products') }}

),

final as (

    select
        order_items.date_id,
        order_items.transaction_date,
        order_items.transaction_ts,
        order_items.transaction_id,
        order_items.customer_id,
        order_items.seq_no,
        order_items.product_id,
        order_items.channel,
        order_items.coupon_code,
        order_items.coupon_flag,
        order_items.unit_price_currency,
        order_items.quantity,
        order_items.unit_price,
        order_items.gross_amount,
        order_items.discount_percent,
        order_items.discount_amount,
        order_items.tax_amount,
        order_items.net_amount,
        order_items.net_amount_inr,
        order_items.product_key,
        order_items.customer_key,
        dates.year,
        dates.quarter,
        dates.month_name,
        dates.week,
        dates.day_name,
        dates.day_of_week,
        dates.is_weekend,
        products.sku,
        products.category_code,
        products.category_name,
        products.brand_code,
        products.brand_name,
        products.color,
        products.size,
        products.rating_count,
        hour(order_items.transaction_ts) as hour_of_day,
        case
            when order_items.quantity * order_items.unit_price > 500 then 1 else 0
        end as high_value_transaction,
        order_items._ingested_at
    from order_items
    left outer join dates
        on order_items.date_id = dates.date_id
    left outer join products
        on order_items.product_key = products.product_key

)

select * from final
