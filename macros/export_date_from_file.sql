{#-
    The export date in a dimension export's file name (`products_export_2025-01-02.csv` ->
    2025-01-02): the picture of the source table at 00:00 UTC that day. Null when the name
    carries no date.
-#}
{% macro export_date_from_file(column) -%}
    {{ parse_date(
        "nullif(regexp_extract(" ~ column ~ ", '_export_([0-9]{4}-[0-9]{2}-[0-9]{2})[^/]*$', 1), '')",
        'yyyy-MM-dd'
    ) }}
{%- endmacro %}
