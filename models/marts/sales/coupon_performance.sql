with

sales_transactions as (

    select * from {{ ref('sales_transactions') }}

),

by_month as (

    select
        cast(date_trunc('month', transaction_date) as date) as month_start,
        coupon_flag = 1 as used_coupon,
        count(distinct transaction_id) as orders,
        count(*) as order_lines,
        cast(sum(net_amount_inr) as decimal(20, 2)) as revenue_inr,
        cast(avg(discount_percent) as decimal(5, 2)) as average_discount_pct
    from sales_transactions
    group by 1, 2

),

final as (

    select
        month_start,
        used_coupon,
        orders,
        order_lines,
        revenue_inr,
        average_discount_pct,
        cast(revenue_inr / orders as decimal(20, 2)) as average_order_value_inr,
        cast(
            100 * orders / sum(orders) over (partition by month_start) as decimal(5, 2)
        ) as share_of_orders_pct
    from by_month

)

select * from final
