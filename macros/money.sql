{#- Exact money: every amount is decimal(18, 2), never floating point. -#}
{% macro money(expression) -%}
    cast({{ expression }} as decimal(18, 2))
{%- endmacro %}
