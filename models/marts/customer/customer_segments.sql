with

order_items as (

    select * from {{ ref('fct_order_items') }}

),

-- Recency is measured from the last day with orders, not from today, so that the mart is
-- reproducible for the same data.
as_of as (

    select max(transaction_date) as as_of_date from order_items

),

per_customer as (

    select
        coalesce(customer_id, 'UNKNOWN') as customer_id,
        min(transaction_date) as first_order_date,
        max(transaction_date) as last_order_date,
        count(distinct transaction_id) as orders,
        cast(coalesce(sum(net_amount_inr), 0) as decimal(20, 2)) as revenue_inr
    from order_items
    group by coalesce(customer_id, 'UNKNOWN')

),

scored as (

    select
        per_customer.*,
        datediff(as_of.as_of_date, per_customer.last_order_date) as recency_days,
        -- Quintiles, 5 = best: recent, frequent, high-spending.
        ntile(5) over (
            order by
                datediff(as_of.as_of_date, per_customer.last_order_date) desc,
                per_customer.customer_id
        ) as recency_score,
        ntile(5) over (
            order by per_customer.orders, per_customer.customer_id
        ) as frequency_score,
        ntile(5) over (
            order by per_customer.revenue_inr, per_customer.customer_id
        ) as monetary_score
    from per_customer
    cross join as_of

),

final as (

    select
        customer_id,
        first_order_date,
        last_order_date,
        orders,
        revenue_inr,
        recency_days,
        recency_score,
        frequency_score,
        monetary_score,
        concat(recency_score, frequency_score, monetary_score) as rfm_score,
        case
            when
                recency_score >= 4 and frequency_score >= 4 and monetary_score >= 4
                then 'Champions'
            when recency_score >= 3 and frequency_score >= 3 then 'Loyal'
            when recency_score >= 4 and frequency_score <= 2 then 'New'
            when recency_score <= 2 and (frequency_score >= 3 or monetary_score >= 3) then 'At Risk'
            when recency_score <= 2 then 'Hibernating'
            else 'Needs Attention'
        end as segment
    from scored

)

select * from final
