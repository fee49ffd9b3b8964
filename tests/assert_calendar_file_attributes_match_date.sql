{#-
    Warn-level: the source calendar files' own attributes are known to be wrong (wrong case,
    another day's name, quarters that do not match, negative weeks). `dim_date` ignores them
    and derives everything from the date; this test reports how many staged calendar rows
    disagree with their date (day name exactly as `EEEE`, quarter 1-4, ISO week number).
-#}
{{ config(severity='warn') }}

with

calendar as (

    select * from {{ ref('stg_ecommerce__date') }}

),

derived as (

    select
        calendar_date,
        supplied_day_name,
        date_format(calendar_date, 'EEEE') as derived_day_name,
        supplied_quarter,
        quarter(calendar_date) as derived_quarter,
        supplied_week_of_year,
        weekofyear(calendar_date) as derived_week_of_year,
        _source_file,
        _source_row
    from calendar

),

disagreeing as (

    select * from derived
    where
        supplied_day_name is distinct from derived_day_name
        or supplied_quarter is distinct from derived_quarter
        or supplied_week_of_year is distinct from derived_week_of_year

)

select * from disagreeing
