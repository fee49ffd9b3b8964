{#-
    Rating count: the absolute value (negative counts are sign errors, `-57` -> 57); missing
    (empty) -> 0; a value that is not an integer -> null.
-#}
{% macro parse_rating_count(column) -%}
    case
        when {{ trim_to_null(column) }} is null then 0
        else abs({{ parse_integer(column) }})
    end
{%- endmacro %}
