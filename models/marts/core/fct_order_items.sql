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

    select * from {{ ref('stg_ecommerce__order_items') }}
    {% if is_incremental() %}
        -- Only lines staged since the last build: a re-sent line arrives with a newer load
        -- time and replaces its earlier version through the merge.
        where {{ newer_than_processed('_ingested_at', 'timestamp') }}
    {% endif %}

),

products as (

    select * from {{ ref('dim_products') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

fx_rates as (

    select * from {{ ref('dim_currencies') }}

),

priced as (

    select
        order_items.*,
        {{ money('order_items.quantity * order_items.unit_price') }} as gross_amount
    from order_items

),

amounts as (

    select
        priced.*,
        {{ money('ceil(priced.gross_amount * priced.discount_pct / 100)') }} as discount_amount
    from priced

),

with_net as (

    select
        amounts.*,
        {{ money('amounts.gross_amount - amounts.discount_amount + amounts.tax_amount') }}
            as net_amount
    from amounts

),

final as (

    select
        cast(date_format(with_net.order_date, 'yyyyMMdd') as int) as date_id,
        with_net.order_date as transaction_date,
        with_net.order_ts as transaction_ts,
        with_net.order_id as transaction_id,
        with_net.customer_id,
        with_net.item_seq as seq_no,
        with_net.product_id,
        with_net.channel,
        with_net.coupon_code,
        case when with_net.coupon_code is not null then 1 else 0 end as coupon_flag,
        with_net.unit_price_currency,
        with_net.quantity,
        with_net.unit_price,
        with_net.gross_amount,
        with_net.discount_pct as discount_percent,
        with_net.discount_amount,
        with_net.tax_amount,
        with_net.net_amount,
        -- Rupees, rounded up to the whole rupee; null when the currency has no rate.
        cast(ceil(with_net.net_amount * fx_rates.inr_rate) as decimal(20, 2)) as net_amount_inr,
        coalesce(products.product_key, '-1') as product_key,
        coalesce(customers.customer_key, '-1') as customer_key,
        with_net._ingested_at
    from with_net
    left outer join fx_rates
        on with_net.unit_price_currency = fx_rates.currency_code
    -- The dimension versions valid when the order was placed; the unknown member otherwise.
    left outer join products
        on
            with_net.product_id = products.product_id
            and with_net.order_ts >= products.valid_from
            and with_net.order_ts < products.valid_to
    left outer join customers
        on
            with_net.customer_id = customers.customer_id
            and with_net.order_ts >= customers.valid_from
            and with_net.order_ts < customers.valid_to

)

select * from final
