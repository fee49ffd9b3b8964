{#-
    A percentage with or without its sign (`10%`, `12.5`) as decimal(5,2), only when it lies in
    [0, 100]; unparseable (`abc`) or out of range (`150%`, `-5`) -> null.
-#}
{% macro parse_percent(column) -%}
    case
        when try_cast(replace(trim({{ column }}), '%', '') as decimal(9, 4)) between 0 and 100
            then try_cast(try_cast(replace(trim({{ column }}), '%', '') as decimal(9, 4)) as decimal(5, 2))
    end
{%- endmacro %}
