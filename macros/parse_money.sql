{#-
    An amount with currency symbols or codes around it (`$636.50`, `AED 12.00`, `A$3.10`):
    everything that is not a digit, a point or a minus removed, then an exact decimal.
    Nothing numeric left (`N/A`, `free`, empty) -> null.
-#}
{% macro parse_money(column, precision=18, scale=2) -%}
    try_cast(regexp_replace({{ column }}, '[^0-9.-]', '') as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}
