{#- A text value trimmed of surrounding spaces; empty or blank becomes null. -#}
{% macro trim_to_null(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}
