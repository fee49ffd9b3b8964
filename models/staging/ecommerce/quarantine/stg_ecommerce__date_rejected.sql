{#-
    Quarantine of bronze.date: every row that cannot be repaired, with one `reject_reason`
    (see macro `ecommerce_reject_reason`), its values exactly as landed and its lineage.
-#}

with

calendar as (

    select * from {{ source('bronze', 'date') }}

),

classified as (

    select
        *,
        {{ ecommerce_reject_reason('date') }} as reject_reason
    from calendar

),

final as (

    select
        reject_reason,
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
        _ingested_at
    from classified
    where reject_reason is not null

)

select * from final
