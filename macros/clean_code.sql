{#- A code trimmed and upper-cased (`ce` -> `CE`); empty or blank becomes null. -#}
{% macro clean_code(column) -%}
    nullif(upper(trim({{ column }})), '')
{%- endmacro %}
