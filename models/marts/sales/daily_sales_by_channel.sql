with

order_items as (

    select * from {{ ref('fct_order_items') }}

),

final as (

    select
        transaction_date,
        date_id,
        channel,
        unit_price_currency,
        count(distinct transaction_id) as orders,
        count(*) as order_lines,
        sum(quantity) as units,
        {{ money('sum(gross_amount)') }} as gross_amount,
        {{ money('sum(discount_amount)') }} as discount_amount,
        {{ money('sum(tax_amount)') }} as tax_amount,
        {{ money('sum(net_amount)') }} as net_amount,
        cast(sum(net_amount_inr) as decimal(20, 2)) as net_amount_inr
    from order_items
    group by
        transaction_date,
        date_id,
        channel,
        unit_price_currency

)

select * from final
