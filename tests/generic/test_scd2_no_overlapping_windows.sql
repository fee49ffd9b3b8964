{#-
    Generic test (SCD2): the validity windows of a key's versions do not overlap — each version
    ends at or before the next one starts. Returns the overlapping versions.
-#}
{% test scd2_no_overlapping_windows(
    model, column_name, valid_from_column='valid_from', valid_to_column='valid_to'
) %}

with

history as (

    select * from {{ model }}

),

ordered as (

    select
        {{ column_name }} as scd2_key,
        {{ valid_from_column }} as valid_from,
        {{ valid_to_column }} as valid_to,
        lead({{ valid_from_column }}) over (
            partition by {{ column_name }} order by {{ valid_from_column }}
        ) as next_valid_from
    from history

)

select * from ordered
where next_valid_from < valid_to

{% endtest %}
