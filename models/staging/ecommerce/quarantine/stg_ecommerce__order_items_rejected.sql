{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['_source_file', '_source_row'],
    )
}}

{#-
    Quarantine of bronze.order_items: every row that cannot be repaired, with one `reject_reason`
    (from `base_ecommerce__order_items`), its values exactly as landed and its lineage.
    Incremental like the staging model: a row's reason depends on that row alone, so a run
    classifies only the Bronze rows of batches after the newest rejected row's batch. Rows between
    that one and the newest batch are classified again when a batch had no rejects; the merge
    on the row's identity keeps that idempotent. A full refresh gives the same table.
-#}

with

order_items as (

    select * from {{ ref('base_ecommerce__order_items') }}
    {%- if is_incremental() %}
        where {{ newer_than_processed('_batch_id', 'string') }}
    {%- endif %}

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
    from order_items
    where reject_reason is not null

)

select * from final
