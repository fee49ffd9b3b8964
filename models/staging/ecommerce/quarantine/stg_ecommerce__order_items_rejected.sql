{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['_source_file', '_source_row'],
    )
}}

{#-
    Quarantine of bronze.order_items: every row that cannot be repaired, with one `reject_reason`
    (see macro `ecommerce_reject_reason`), its values exactly as landed and its lineage.
    Incremental like the staging model: a row's reason depends on that row alone, so a run
    classifies only the Bronze rows of batches after the newest rejected row's batch. Rows between
    that one and the newest batch are classified again when a batch had no rejects; the merge
    on the row's identity keeps that idempotent. A full refresh gives the same table.
-#}

with

order_items as (

    select * from {{ source('bronze', 'order_items') }}
    {%- if is_incremental() %}
        where {{ newer_than_processed('_batch_id', 'string') }}
    {%- endif %}

),

quantity_words as (

    select * from {{ ref('quantity_words') }}

),

classified as (

    select
        order_items.*,
        {{ ecommerce_reject_reason('order_items', 'quantity_words.quantity_value') }}
            as reject_reason
    from order_items
    left outer join quantity_words
        on {{ quantity_word_key('order_items.quantity') }} = quantity_words.quantity_word

),

final as (

    select
        reject_reason,
        dt,
        order_ts,
        customer_id,
        order_id,
        item_seq,
        product_id,
        quantity,
        unit_price_currency,
        unit_price,
        discount_pct,
        tax_amount,
        channel,
        coupon_code,
        _rescued_data,
        _corrupt_record,
        _source_file,
        _source_row,
        _batch_id,
        _ingested_at
    from classified
    where reject_reason is not null

)

select * from final
