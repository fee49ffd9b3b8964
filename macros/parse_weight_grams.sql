{#-
    Weight in grams, its unit stripped (`305g`, `305 g`, `305grams` -> 305); unparseable -> null.
-#}
{% macro parse_weight_grams(column) -%}
    try_cast(regexp_replace(trim({{ column }}), '(?i) *(grams|gram|gr|g)$', '') as int)
{%- endmacro %}
