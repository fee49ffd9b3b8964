{#-
    Customers: one row per customer per export picture (every dated export is kept: the SCD2
    history is derived from them), typed and cleaned; within a picture a repeated key keeps its
    last row. `is_latest_export` marks the current picture.
-#}

with

customers as (

    select * from {{ ref('base_ecommerce__customers') }}

),

pictures as (

    select
        *,
        {{ picture_export_date() }} as export_date
    from customers

),

latest_export as (

    select max({{ picture_order() }})._source_file as latest_source_file
    from pictures

),

cleaned as (

    select
        trim(customer_id) as customer_id,
        -- Digits only. The export writes numbers as floats: the fraction of `917280033536.0`
        -- is dropped and scientific notation (`9.17280033536E11`) expanded; then every
        -- non-digit (`+`, spaces, dashes) is removed. Missing -> `Not Available`.
        coalesce(
            nullif(
                case
                    when trim(phone) rlike '^[0-9]+([.][0-9]*)?[eE][+]?[0-9]+$'
                        then cast(try_cast(trim(phone) as decimal(38, 0)) as string)
                    else regexp_replace(regexp_replace(trim(phone), '[.]0*$', ''), '[^0-9]', '')
                end,
                ''
            ),
            'Not Available'
        ) as phone,
        {{ clean_code('country_code') }} as country_code,
        {{ trim_to_null('country') }} as country,
        {{ trim_to_null('state') }} as state,  -- noqa: RF04
        export_date,
        _rescued_data,
        _source_file,
        _source_row,
        _batch_id,
        _ingested_at
    from pictures
    where reject_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by _source_file, customer_id order by _source_row desc
        ) as copy_rank,
        count(*) over (partition by _source_file, customer_id) - 1 as duplicates_dropped
    from cleaned

),

final as (

    select
        ranked.customer_id,
        ranked.phone,
        ranked.country_code,
        ranked.country,
        ranked.state,
        ranked.export_date,
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
