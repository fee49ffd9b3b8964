{#-
    Quarantine of bronze.brands: every row that cannot be repaired, with one `reject_reason`
    (from `base_ecommerce__brands`), its values exactly as landed and its lineage.
-#}

with

brands as (

    select * from {{ ref('base_ecommerce__brands') }}

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
    from brands
    where reject_reason is not null

)

select * from final
