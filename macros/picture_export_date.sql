{#-
    The date of a dimension export picture: the date in the file name
    (`customers_export_2025-01-02.csv`), else the UTC date the file was ingested.
-#}
{% macro picture_export_date() -%}
    coalesce({{ export_date_from_file('_source_file') }}, to_date(_ingested_at))
{%- endmacro %}
