{#-
    Quarantine of bronze.category: every row that cannot be repaired, with one `reject_reason`
    (from `base_ecommerce__category`), its values exactly as landed and its lineage.
-#}

with

category as (

    select * from {{ ref('base_ecommerce__category') }}

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
    from category
    where reject_reason is not null

)

select * from final
