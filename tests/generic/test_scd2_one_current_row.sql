{#-
    Generic test (SCD2): exactly one current row per key that is not deleted, none for a
    deleted key, and `is_current` true exactly when the row is open (`valid_to` at the end of
    time). A key is deleted when it is missing from the latest export: `current_keys` is a
    relation and `current_keys_where` a filter giving the keys of the latest export.
    Returns the offending keys with what is wrong.
-#}
{% test scd2_one_current_row(
    model, column_name, current_keys, current_keys_where='true',
    is_current_column='is_current', valid_to_column='valid_to'
) %}

with

history as (

    select * from {{ model }}

),

latest_export as (

    select * from {{ current_keys }}
    where {{ current_keys_where }}

),

current_rows as (

    select
        {{ column_name }} as scd2_key,
        count_if({{ is_current_column }}) as current_rows,
        count_if({{ is_current_column }} <> ({{ valid_to_column }} = {{ scd2_end_of_time() }}))
            as mislabelled_rows
    from history
    group by {{ column_name }}

),

expected as (

    select distinct {{ column_name }} as scd2_key
    from latest_export

),

compared as (

    select
        coalesce(current_rows.scd2_key, expected.scd2_key) as scd2_key,
        coalesce(current_rows.current_rows, 0) as current_rows,
        expected.scd2_key is not null as in_latest_export,
        coalesce(current_rows.mislabelled_rows, 0) as mislabelled_rows
    from current_rows
    full outer join expected
        on current_rows.scd2_key = expected.scd2_key

)

select * from compared
where
    current_rows <> case when in_latest_export then 1 else 0 end
    or mislabelled_rows > 0

{% endtest %}
