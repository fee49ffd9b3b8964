{#-
    A wall-clock text in the given pattern read as UTC, independent of the session time zone
    (`2025-01-05 14:03:00` -> that instant in UTC); anything else -> null.
-#}
{% macro parse_utc_timestamp(column, format) -%}
    try_to_timestamp(concat(trim({{ column }}), '+00:00'), '{{ format }}XXX')
{%- endmacro %}
