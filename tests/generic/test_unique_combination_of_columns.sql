{#-
    Generic test: no two rows share the same values across `combination_of_columns`.
    Returns one row per duplicated combination, with how often it occurs.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set columns_csv = combination_of_columns | join(', ') %}

with

grouped as (

    select
        {{ columns_csv }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns_csv }}

)

select * from grouped
where occurrences > 1

{% endtest %}
