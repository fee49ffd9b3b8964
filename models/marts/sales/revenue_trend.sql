with

order_items as (

    select * from {{ ref('fct_order_items') }}

),

-- Weeks start on Monday (ISO); months on the 1st.
by_period as (

    select
        'week' as period_grain,
        date_trunc('week', transaction_date) as period_start,
        transaction_id,
        net_amount_inr
    from order_items

    union all

    select
        'month' as period_grain,
        date_trunc('month', transaction_date) as period_start,
        transaction_id,
        net_amount_inr
    from order_items

),

totals as (

    select
        period_grain,
        cast(period_start as date) as period_start,
        cast(sum(net_amount_inr) as decimal(20, 2)) as revenue_inr,
        count(distinct transaction_id) as orders
    from by_period
    group by period_grain, cast(period_start as date)

),

final as (

    select
        period_grain,
        period_start,
        revenue_inr,
        orders,
        cast(revenue_inr / orders as decimal(20, 2)) as average_order_value_inr,
        lag(revenue_inr) over (
            partition by period_grain order by period_start
        ) as previous_revenue_inr,
        cast(
            100 * (
                revenue_inr
                - lag(revenue_inr) over (partition by period_grain order by period_start)
            )
            / nullif(lag(revenue_inr) over (partition by period_grain order by period_start), 0)
            as decimal(10, 2)
        ) as revenue_growth_pct
    from totals

)

select * from final
