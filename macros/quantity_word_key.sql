{#-
    The form of a raw quantity looked up in the `quantity_words` seed (`  Two ` -> `two`).
-#}
{% macro quantity_word_key(column) -%}
    lower(trim({{ column }}))
{%- endmacro %}
