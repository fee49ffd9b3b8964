{#-
    A date in exactly the given pattern (`yyyy-MM-dd`, `dd-MM-yyyy`); anything else
    (`2025-13-45`, `31/12/2025`, `N/A`, empty) -> null, whatever `spark.sql.ansi.enabled` says.
-#}
{% macro parse_date(column, format) -%}
    to_date(try_to_timestamp(trim({{ column }}), '{{ format }}'))
{%- endmacro %}
