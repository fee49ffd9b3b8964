{#-
    Every Bronze date row as landed, with the one `reject_reason` (macro
    `ecommerce_reject_reason`) that sends it to quarantine, or null when staging can repair it.
    The only reader of the source: `stg_ecommerce__date` keeps the rows without a reason,
    `stg_ecommerce__date_rejected` the others, so the rule is computed in one place.
-#}

with

calendar as (

    select * from {{ source('bronze', 'date') }}

),

final as (

    select
        date,
        year,
        day_name,
        quarter,
        week_of_year,
        _rescued_data,
        _corrupt_record,
        _source_file,
        _source_row,
        _batch_id,
        _ingested_at,
        _file_modified_at,
        {{ ecommerce_reject_reason('date') }} as reject_reason
    from calendar

)

select * from final
