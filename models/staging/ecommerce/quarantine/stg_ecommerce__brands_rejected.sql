{#-
    Quarantine of bronze.brands: every row that cannot be repaired, with one `reject_reason`
    (see macro `ecommerce_reject_reason`), its values exactly as landed and its lineage.
-#}

with

brands as (

    select * from {{ source('bronze', 'brands') }}

),

classified as (

    select
        *,
        {{ ecommerce_reject_reason('brands') }} as reject_reason
    from brands

),

final as (

    select
        reject_reason,
        brand_code,
        brand_name,
        category_code,
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
