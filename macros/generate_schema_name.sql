{#-
    The schema of a node: production targets (var `production_targets`: `prod`, `prod_thrift`)
    use a folder's custom schema (`silver`, `gold`, `audit`) as it is, the shared schemas BI
    reads. Every other target prefixes it with its own schema: `dev` writes
    `dbt_<name>_silver`, …, `ci` writes `ci_<random>_silver`, …, so a person's or a CI run's
    build never touches production and two people never collide. Nodes without a custom schema
    use the target schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if target.name in var('production_targets') -%}
        {{ (custom_schema_name or target.schema) | trim }}
    {%- else -%}
        {%- if target.schema == 'dbt_' -%}
            {%- do exceptions.raise_compiler_error(
                "target '" ~ target.name ~ "' builds in your own schemas (dbt_<name>_silver, "
                ~ "...) and needs your name: set LAKEHOUSE_DEV_NAME (default: $USER, which is "
                ~ "empty), e.g. LAKEHOUSE_DEV_NAME=alice"
            ) -%}
        {%- elif not modules.re.match('^[a-z][a-z0-9_]*$', target.schema) -%}
            {%- do exceptions.raise_compiler_error(
                "target '" ~ target.name ~ "' would write to schemas named '" ~ target.schema
                ~ "_...': a schema prefix takes lower-case letters, digits and underscores; "
                ~ "set LAKEHOUSE_DEV_NAME (default: $USER) to e.g. alice"
            ) -%}
        {%- endif -%}
        {%- if custom_schema_name is none -%}
            {{ target.schema }}
        {%- else -%}
            {{ target.schema }}_{{ custom_schema_name | trim }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
