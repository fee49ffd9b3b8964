{#-
    Brands: one row per brand per landed file (a full export each; the latest-ingested file is
    the current picture, `is_latest_export`), cleaned; within a file a repeated code keeps its
    last row. Codes are cleaned before deduplication (`VOLT@` and `volt` are the same brand).
-#}

with

brands as (

    select * from {{ ref('base_ecommerce__brands') }}

),

category_code_aliases as (

    select * from {{ ref('category_code_aliases') }}

),

latest_export as (

    select max({{ picture_order(picture_export_date()) }})._source_file as latest_source_file
    from brands

),

cleaned as (

    select
        {{ clean_brand_code('brand_code') }} as brand_code,
        {{ trim_to_null('brand_name') }} as brand_name,
        {{ clean_code('category_code') }} as source_category_code,
        _rescued_data,
        _source_file,
        _source_row,
        _batch_id,
        _ingested_at
    from brands
    where reject_reason is null

),

aliases_mapped as (

    select
        cleaned.*,
        coalesce(category_code_aliases.category_code, cleaned.source_category_code)
            as category_code
    from cleaned
    left outer join category_code_aliases
        on cleaned.source_category_code = upper(category_code_aliases.source_category_code)

),

ranked as (

    select
        *,
        row_number() over (
            partition by _source_file, brand_code order by _source_row desc
        ) as copy_rank,
        count(*) over (partition by _source_file, brand_code) - 1 as duplicates_dropped
    from aliases_mapped

),

final as (

    select
        ranked.brand_code,
        ranked.brand_name,
        ranked.category_code,
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
