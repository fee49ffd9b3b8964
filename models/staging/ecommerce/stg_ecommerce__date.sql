{#-
    The source calendar: one row per date per landed calendar file (the newest file is the
    current picture, `is_latest_export`); within a file a repeated date keeps its last row. The
    supplied attributes are kept as sent (typed) only to measure how often they are wrong:
    `dim_date` derives every attribute from the date itself.
-#}

with

calendar as (

    select * from {{ ref('base_ecommerce__date') }}

),

latest_export as (

    select max({{ picture_order(picture_export_date()) }})._source_file as latest_source_file
    from calendar

),

cleaned as (

    select
        {{ parse_date('date', 'dd-MM-yyyy') }} as calendar_date,
        {{ parse_integer('year') }} as supplied_year,
        {{ trim_to_null('day_name') }} as supplied_day_name,
        {{ parse_integer('quarter') }} as supplied_quarter,
        {{ parse_integer('week_of_year') }} as supplied_week_of_year,
        _rescued_data,
        _source_file,
        _source_row,
        _batch_id,
        _ingested_at
    from calendar
    where reject_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by _source_file, calendar_date order by _source_row desc
        ) as copy_rank,
        count(*) over (partition by _source_file, calendar_date) - 1 as duplicates_dropped
    from cleaned

),

final as (

    select
        ranked.calendar_date,
        ranked.supplied_year,
        ranked.supplied_day_name,
        ranked.supplied_quarter,
        ranked.supplied_week_of_year,
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
