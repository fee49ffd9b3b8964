{#-
    A decimal that may use a comma as decimal separator (`22,2` -> 22.2, `22.2` -> 22.2);
    unparseable -> null.
-#}
{% macro parse_decimal_comma(column, precision=10, scale=2) -%}
    try_cast(replace(trim({{ column }}), ',', '.') as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}
