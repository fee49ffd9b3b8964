{#-
    The calendar: one row per day from var `date_spine_start` to var `date_spine_end`
    (dbt_project.yml), every attribute derived from the date itself (the source calendar's own
    attributes are known to be wrong), plus an unknown member (`date_id = -1`). Weeks are ISO
    weeks labelled with their ISO week-year (2024-12-30 is `Week1-2025`). The range is fixed,
    not taken from the data, so new orders never rebuild the calendar; an order outside it fails
    the fact's `date_id` relationships test.
-#}

with

spine as (

    select
        explode(
            sequence(
                to_date('{{ var("date_spine_start") }}'),
                to_date('{{ var("date_spine_end") }}'),
                interval 1 day
            )
        ) as date_day

),

derived as (

    select
        date_day,
        weekday(date_day) + 1 as iso_day_of_week,
        weekofyear(date_day) as iso_week,
        -- The ISO week-year is the year of the week's Thursday.
        year(date_add(date_day, 3 - weekday(date_day))) as iso_week_year
    from spine

),

days as (

    select
        cast(date_format(date_day, 'yyyyMMdd') as int) as date_id,
        date_day,
        year(date_day) as calendar_year,
        concat('Q', quarter(date_day), '-', year(date_day)) as quarter_label,
        month(date_day) as month_number,
        date_format(date_day, 'MMMM') as month_name,
        date_format(date_day, 'EEEE') as day_name,
        iso_day_of_week as day_of_week,
        concat('Week', iso_week, '-', iso_week_year) as week_label,
        iso_day_of_week >= 6 as is_weekend
    from derived

),

unknown_member as (

    select
        -1 as date_id,
        cast(null as date) as date_day,
        cast(null as int) as calendar_year,
        'Unknown' as quarter_label,
        cast(null as int) as month_number,
        'Unknown' as month_name,
        'Unknown' as day_name,
        cast(null as int) as day_of_week,
        'Unknown' as week_label,
        cast(null as boolean) as is_weekend

),

unioned as (

    select * from days
    union all
    select * from unknown_member

),

final as (

    select
        date_id,
        -- The dimension's column names are the business rules' (`date`, `year`, …).
        date_day as date,  -- noqa: RF04
        calendar_year as year,  -- noqa: RF04
        quarter_label as quarter,  -- noqa: RF04
        month_number as month,  -- noqa: RF04
        month_name,
        day_name,
        day_of_week,
        week_label as week,  -- noqa: RF04
        is_weekend
    from unioned

)

select * from final
