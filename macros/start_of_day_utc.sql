{#- 00:00:00 UTC of a date, as a timestamp (independent of the session time zone). -#}
{% macro start_of_day_utc(date_column) -%}
    {{ parse_utc_timestamp("cast(" ~ date_column ~ " as string)", 'yyyy-MM-dd') }}
{%- endmacro %}
