{#-
    Generic test: no landed row disappears without a trace. For the staging model it is
    attached to:

        Bronze rows = Silver rows + quarantined rows + duplicate rows removed

    The duplicates are counted here, from Bronze, independently of the model: the Bronze rows
    that are not in `rejected` (matched on `_source_file`, `_source_row`), minus their
    distinct keys (`key_columns`: SQL expressions over the Bronze columns) within a picture
    (`picture_columns`, e.g. `_source_file` for a dimension export; none for facts).
    Returns one row with the four counts when the identity does not hold.
-#}
{% test reconciles_with_source(model, source_relation, rejected, key_columns, picture_columns=[]) %}

with

bronze_rows as (

    select * from {{ source_relation }}

),

rejected_rows as (

    select * from {{ rejected }}

),

silver_rows as (

    select * from {{ model }}

),

accepted_rows as (

    select bronze_rows.*
    from bronze_rows
    left outer join rejected_rows
        on
            bronze_rows._source_file = rejected_rows._source_file
            and bronze_rows._source_row = rejected_rows._source_row
    where rejected_rows._source_row is null

),

counts as (

    select
        (select count(*) from bronze_rows) as bronze_rows,
        (select count(*) from silver_rows) as silver_rows,
        (select count(*) from rejected_rows) as quarantined_rows,
        (select count(*) from accepted_rows)
        - (
            select count(distinct struct({{ (picture_columns + key_columns) | join(', ') }}))
            from accepted_rows
        ) as duplicate_rows

)

select * from counts
where bronze_rows <> silver_rows + quarantined_rows + duplicate_rows

{% endtest %}
