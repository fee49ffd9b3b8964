{#-
    Order timestamp (UTC) in either of the source's formats: `yyyy-MM-dd HH:mm:ss` or
    `dd-MM-yyyy HH:mm`; anything else (`2025-01-01 25:61:00`, `not a time`) -> null.
-#}
{% macro parse_order_ts(column) -%}
    coalesce(
        {{ parse_utc_timestamp(column, 'yyyy-MM-dd HH:mm:ss') }},
        {{ parse_utc_timestamp(column, 'dd-MM-yyyy HH:mm') }}
    )
{%- endmacro %}
