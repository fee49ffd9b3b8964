{#-
    Every Bronze order line as landed, with the one `reject_reason` (macro
    `ecommerce_reject_reason`) that sends it to quarantine, or null when staging can repair it.
    The only reader of the source: `stg_ecommerce__order_items` keeps the rows without a reason,
    `stg_ecommerce__order_items_rejected` the others, so the rule is computed in one place.
    `quantity_word_value` is the `quantity_words` seed's number for a quantity written in words.
    A view: its readers filter it (their incremental batch) and Spark pushes the filter down to
    the Bronze scan.
-#}

with

order_items as (

    select * from {{ source('bronze', 'order_items') }}

),

quantity_words as (

    select * from {{ ref('quantity_words') }}

),

final as (

    select
        order_items.dt,
        order_items.order_ts,
        order_items.customer_id,
        order_items.order_id,
        order_items.item_seq,
        order_items.product_id,
        order_items.quantity,
        order_items.unit_price_currency,
        order_items.unit_price,
        order_items.discount_pct,
        order_items.tax_amount,
        order_items.channel,
        order_items.coupon_code,
        order_items._rescued_data,
        order_items._corrupt_record,
        order_items._source_file,
        order_items._source_row,
        order_items._batch_id,
        order_items._ingested_at,
        order_items._file_modified_at,
        quantity_words.quantity_value as quantity_word_value,
        {{ ecommerce_reject_reason('order_items', 'quantity_words.quantity_value') }}
            as reject_reason
    from order_items
    left outer join quantity_words
        -- The seed holds the words lower-case and trimmed (`  Two ` -> `two`).
        on lower(trim(order_items.quantity)) = quantity_words.quantity_word

)

select * from final
