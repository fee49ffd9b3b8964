with

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

final as (

    select
        currency_code,
        inr_rate,
        rate_date as inr_rate_date
    from fx_rates

)

select * from final
