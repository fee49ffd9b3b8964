{#-
    Every Bronze brands row as landed, with the one `reject_reason` (macro
    `ecommerce_reject_reason`) that sends it to quarantine, or null when staging can repair it.
    The only reader of the source: `stg_ecommerce__brands` keeps the rows without a reason,
    `stg_ecommerce__brands_rejected` the others, so the rule is computed in one place.
-#}

with

brands as (

    select * from {{ source('bronze', 'brands') }}

),

final as (

    select
        brand_code,
        brand_name,
        category_code,
        _rescued_data,
        _corrupt_record,
        _source_file,
        _source_row,
        _batch_id,
        _ingested_at,
        _file_modified_at,
        {{ ecommerce_reject_reason('brands') }} as reject_reason
    from brands

)

select * from final
