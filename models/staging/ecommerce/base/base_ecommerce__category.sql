{#-
    Every Bronze category row as landed, with the one `reject_reason` (macro
    `ecommerce_reject_reason`) that sends it to quarantine, or null when staging can repair it.
    The only reader of the source: `stg_ecommerce__category` keeps the rows without a reason,
    `stg_ecommerce__category_rejected` the others, so the rule is computed in one place.
-#}

with

category as (

    select * from {{ source('bronze', 'category') }}

),

final as (

    select
        category_code,
        category_name,
        _rescued_data,
        _corrupt_record,
        _source_file,
        _source_row,
        _batch_id,
        _ingested_at,
        _file_modified_at,
        {{ ecommerce_reject_reason('category') }} as reject_reason
    from category

)

select * from final
