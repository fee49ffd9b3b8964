{#-
    Generic test with a rate, not a count: fails when more than `max_share` (0.01 = 1 %) of the
    model's rows are failing rows, and then returns those rows (stored in schema `audit`).

    A failing row is one whose `column_name` is null or, with `to` and `field`, one whose
    non-null `column_name` is not among `to.field` (as dbt's `relationships`). dbt's own
    `warn_if`/`error_if` compare counts, which grow with the data; a share does not.
-#}
{% test share_at_most(model, column_name, max_share, to=none, field=none) %}
{%- if to is none -%}
{%- set parents_sql = 'select cast(null as string) as parent_key where false' -%}
{%- set failing = 'model_rows.' ~ column_name ~ ' is null' -%}
{%- else -%}
{%- set parents_sql = 'select distinct ' ~ field ~ ' as parent_key from ' ~ to -%}
{%- set failing = 'model_rows.' ~ column_name ~ ' is not null and parents.parent_key is null' -%}
{%- endif %}

with

model_rows as (

    select * from {{ model }}

),

parents as (

    {{ parents_sql }}

),

checked as (

    select
        model_rows.*,
        {{ failing }} as is_failing
    from model_rows
    left outer join parents
        on model_rows.{{ column_name }} = parents.parent_key

),

shares as (

    select
        count_if(is_failing) as failing_rows,
        count(*) as all_rows
    from checked

)

select checked.*
from checked
cross join shares
where
    checked.is_failing
    and shares.failing_rows > {{ max_share }} * shares.all_rows

{% endtest %}
