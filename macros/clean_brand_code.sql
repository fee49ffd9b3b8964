{#-
    Brand code: every character that is not a letter or a digit removed, upper case
    (`VOLT@` -> `VOLT`, ` glow* ` -> `GLOW`); nothing left (`@@`, empty) becomes null.
-#}
{% macro clean_brand_code(column) -%}
    nullif(upper(regexp_replace({{ column }}, '[^A-Za-z0-9]', '')), '')
{%- endmacro %}
