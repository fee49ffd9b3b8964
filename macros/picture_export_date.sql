{#-
    The date of a dimension export picture: the date in the file name
    (`customers_export_2025-01-02.csv` -> 2025-01-02, the picture of the source table at
    00:00 UTC that day), else the UTC date the file was ingested.
-#}
{% macro picture_export_date() -%}
    coalesce(
        {{ parse_date(
            "nullif(regexp_extract(_source_file, '_export_([0-9]{4}-[0-9]{2}-[0-9]{2})[^/]*$', 1), '')",
            'yyyy-MM-dd'
        ) }},
        to_date(_ingested_at)
    )
{%- endmacro %}
