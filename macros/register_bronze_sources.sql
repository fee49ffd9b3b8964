{#-
    Register the path-based Bronze Delta tables, written by the ingestion application, as
    external tables `bronze.<table>` in the catalog of whichever Spark dbt is connected to
    (the embedded session or a Thrift server). Runs on every invocation (`on-run-start`); it
    only adds catalog entries, never data: ingestion is the one writer of Bronze.
-#}
{% macro register_bronze_sources() %}
    {%- if execute -%}
        {%- set root = var('bronze_root') | trim | replace('\\', '/') -%}
        {%- do run_query('create schema if not exists bronze') -%}
        {%- for table_name, folder in var('bronze_tables').items() -%}
            {%- set location = root.rstrip('/') ~ '/' ~ folder -%}
            {%- do run_query(
                'create table if not exists bronze.' ~ table_name
                ~ " using delta location '" ~ location ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
