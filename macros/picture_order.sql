{#-
    The order of a dimension's export pictures (one picture per landed file), newest last, as a
    struct that `max()` can rank: the export date in the file name (else the ingestion date),
    then the ingestion time, then the file path. For files without a date in their name this is
    "the latest-ingested file is the current picture".
-#}
{% macro picture_order(export_date='export_date') -%}
    struct({{ export_date }}, _ingested_at, _source_file)
{%- endmacro %}
