{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        tblproperties=var('merged_table_properties'),
        unique_key=['order_id', 'item_seq'],
    )
}}

{#-
    One row per order line (order_id, item_seq), typed and cleaned. Incremental: a run reads
    only the Bronze rows of batches ingested after the newest one already here (Delta skips
    the older files, see macro `newer_than_processed`) and merges them in, so a line re-sent
    in a newer file replaces the older copy; a full refresh gives the same table.
-#}

with

order_items as (

    {%- if is_incremental() %}
        -- A day's batch is one Bronze file of one row group, which Spark reads as one task:
        -- spread its lines over the cores before the parsing below (about 0.1 ms a line).
        select /*+ repartition({{ var('incremental_source_partitions') }}) */ *
        from {{ ref('base_ecommerce__order_items') }}
        where {{ newer_than_processed('_batch_id', 'string') }}
    {%- else %}
        select * from {{ ref('base_ecommerce__order_items') }}
    {%- endif %}

),

channel_names as (

    select * from {{ ref('channel_names') }}

),

stored_lines as (

    {%- if is_incremental() %}
        select * from {{ this }}
    {%- else %}
        -- A full build merges into nothing.
        select
            cast(null as string) as order_id,
            cast(null as int) as item_seq,
            cast(null as bigint) as _duplicates_dropped
        where false
    {%- endif %}

),

cleaned as (

    select
        trim(order_id) as order_id,
        {{ parse_integer('item_seq') }} as item_seq,
        {{ parse_date('dt', 'yyyy-MM-dd') }} as order_date,
        {{ parse_order_ts('order_ts') }} as order_ts,
        {{ trim_to_null('customer_id') }} as customer_id,
        {{ trim_to_null('product_id') }} as product_id,
        {{ parse_quantity('quantity', 'quantity_word_value') }} as quantity,
        {{ parse_money('unit_price') }} as unit_price,
        {{ clean_code('unit_price_currency') }} as unit_price_currency,
        {{ parse_percent('discount_pct') }} as discount_pct,
        {{ parse_money('tax_amount') }} as tax_amount,
        {{ trim_to_null('channel') }} as source_channel,
        lower({{ trim_to_null('coupon_code') }}) as coupon_code,
        _rescued_data,
        _source_file,
        _source_row,
        _batch_id,
        _ingested_at
    from order_items
    where reject_reason is null

),

channel_mapped as (

    select
        cleaned.*,
        coalesce(channel_names.channel, cleaned.source_channel) as channel
    from cleaned
    left outer join channel_names
        on lower(cleaned.source_channel) = lower(channel_names.source_channel)

),

ranked as (

    select
        *,
        row_number() over (
            partition by order_id, item_seq
            order by
                _ingested_at desc,
                regexp_extract(_source_file, '[^/]*$', 0) desc,
                _source_file desc,
                _source_row desc
        ) as copy_rank,
        count(*) over (partition by order_id, item_seq) - 1 as copies_dropped
    from channel_mapped

),

-- Every key of the batch, taken from the raw columns as `cleaned` parses them: cheap, where
-- taking them from `ranked` computed the whole cleaning a second time (Spark does not reuse
-- it). Keys of rejected lines come along; the left join in `deduplicated` ignores them.
incoming_keys as (

    select distinct
        trim(order_id) as order_id,
        {{ parse_integer('item_seq') }} as item_seq
    from order_items

),

-- The stored lines this batch replaces. The batch's keys are broadcast to the scan of the
-- stored table: the left join the other way round shuffled every stored line on every run.
-- A day's keys are a few MB; a backfill of tens of millions of lines is better loaded with
-- --full-refresh.
already_merged as (

    select /*+ broadcast(incoming_keys) */
        stored_lines.order_id,
        stored_lines.item_seq,
        stored_lines._duplicates_dropped
    from stored_lines
    left semi join incoming_keys
        on
            stored_lines.order_id = incoming_keys.order_id
            and stored_lines.item_seq = incoming_keys.item_seq

),

deduplicated as (

    select
        ranked.*,
        -- A line already merged by an earlier run is replaced: its copies count too.
        ranked.copies_dropped
        + coalesce(already_merged._duplicates_dropped + 1, 0) as duplicates_dropped
    from ranked
    left outer join already_merged
        on
            ranked.order_id = already_merged.order_id
            and ranked.item_seq = already_merged.item_seq
    where ranked.copy_rank = 1

),

final as (

    select
        order_id,
        item_seq,
        order_date,
        order_ts,
        customer_id,
        product_id,
        quantity,
        unit_price,
        unit_price_currency,
        discount_pct,
        tax_amount,
        channel,
        coupon_code,
        _rescued_data,
        duplicates_dropped as _duplicates_dropped,
        _source_file,
        _source_row,
        _batch_id,
        _ingested_at
    from deduplicated

)

select * from final
