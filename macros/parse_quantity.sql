{#-
    Quantity as int: digits (`3`), or a number word in any case (`Two`, `TEN`) whose value the
    caller looked up in the `quantity_words` seed and passes as `word_value`. Unparseable ->
    null. The >= 1 rule is a quarantine check (`bad_quantity`), not applied here.
-#}
{% macro parse_quantity(column, word_value) -%}
    cast(coalesce({{ parse_integer(column) }}, {{ word_value }}) as int)
{%- endmacro %}
