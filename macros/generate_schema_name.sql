{#-
    Use a folder's custom schema (`silver`, `gold`, `audit`) as the schema name itself, not
    dbt's default `<target schema>_<custom schema>`: the medallion layers are fixed, shared
    schemas, the same in every target. Nodes without a custom schema use the target schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
