{#-
    An integer written as digits (surrounding spaces allowed, `+`/`-` sign allowed); anything
    else (`x`, `1.5`, empty) becomes null. `try_cast` gives the same result whether
    `spark.sql.ansi.enabled` is on or off.
-#}
{% macro parse_integer(column) -%}
    try_cast(trim({{ column }}) as int)
{%- endmacro %}
