{#-
    Quarantine of bronze.category: every row that cannot be repaired, with one `reject_reason`
    (see macro `ecommerce_reject_reason`), its values exactly as landed and its lineage.
-#}

with

category as (

    select * from {{ source('bronze', 'category') }}

),

classified as (

    select
        *,
        {{ ecommerce_reject_reason('category') }} as reject_reason
    from category

),

final as (

    select
        reject_reason,
        category_code,
        category_name,
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
