{#-
    Quarantine of bronze.date: every row that cannot be repaired, with one `reject_reason`
    (from `base_ecommerce__date`), its values exactly as landed and its lineage.
-#}

with

calendar as (

    select * from {{ ref('base_ecommerce__date') }}

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
    from calendar
    where reject_reason is not null

)

select * from final
