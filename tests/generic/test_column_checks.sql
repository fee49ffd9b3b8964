{#-
    Generic test: a model's per-row column assertions (`not_null`, `accepted_values`) in one
    scan instead of one test, one query and one dbt node each. Returns one row per failed
    assertion: the row's columns plus `failed_check` (`<column>: not_null`,
    `<column>: accepted_values`), so the count, and what is stored in `audit`, are those of the
    separate tests added up. As with dbt's own `accepted_values`, a null passes it.
-#}
{% test column_checks(model, not_null=[], accepted_values={}) %}
    {%- set checks = [] -%}
    {%- set conditions = [] -%}
    {%- for column in not_null -%}
        {%- set condition = adapter.quote(column) ~ " is null" -%}
        {%- do conditions.append(condition) -%}
        {%- do checks.append("case when " ~ condition ~ " then '" ~ column ~ ": not_null' end") -%}
    {%- endfor -%}
    {%- for column, values in accepted_values.items() -%}
        {%- set literals = [] -%}
        {%- for value in values -%}
            {%- do literals.append(value if value is number else dbt.string_literal(value)) -%}
        {%- endfor -%}
        {%- set outside = adapter.quote(column) ~ " not in (" ~ literals | join(", ") ~ ")" -%}
        {%- do conditions.append(outside) -%}
        {%- do checks.append("case when " ~ outside ~ " then '" ~ column ~ ": accepted_values' end") -%}
    {%- endfor -%}
    {%- if not checks -%}
        {%- do exceptions.raise_compiler_error(
            "column_checks: list columns under not_null or accepted_values"
        ) -%}
    {%- endif %}

-- explode: a row with no failed check yields no row, one with two yields two.
select
    *,
    explode(
        filter(
            array(
                {{ checks | join(",\n                ") }}
            ),
            failed -> failed is not null
        )
    ) as failed_check
from {{ model }}
-- The same conditions again, as a filter: Delta skips every file whose statistics say none
-- holds (a null count of zero), and only failing rows reach the explode.
where {{ conditions | join(" or ") }}

{% endtest %}
