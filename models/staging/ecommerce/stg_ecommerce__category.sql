{#-
    Categories: one row per category per landed file (a full export each; the latest-ingested
    file is the current picture, `is_latest_export`), cleaned; within a file a repeated code
    keeps its last row.
-#}

with

category as (

    select * from {{ ref('base_ecommerce__category') }}

),

latest_export as (

    select max({{ picture_order(picture_export_date()) }})._source_file as latest_source_file
    from category

),

cleaned as (

    select
        {{ clean_code('category_code') }} as category_code,
        {{ trim_to_null('category_name') }} as category_name,
        _rescued_data,
        _source_file,
        _source_row,
        _batch_id,
        _ingested_at
    from category
    where reject_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by _source_file, category_code order by _source_row desc
        ) as copy_rank,
        count(*) over (partition by _source_file, category_code) - 1 as duplicates_dropped
    from cleaned

),

final as (

    select
        ranked.category_code,
        ranked.category_name,
        ranked._source_file = latest_export.latest_source_file as is_latest_export,
        ranked._rescued_data,
        ranked.duplicates_dropped as _duplicates_dropped,
        ranked._source_file,
        ranked._source_row,
        ranked._batch_id,
        ranked._ingested_at
    from ranked
    cross join latest_export
    where ranked.copy_rank = 1

)

select * from final
