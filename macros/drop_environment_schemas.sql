{#-
    Drop every schema this project's nodes have on the current (non-production) target: a
    developer's `dbt_<name>_*` when done, or a CI run's `ci_<random>_*` at its end (`lakehouse
    ci` calls it). Exactly the schemas the nodes resolve to, never a pattern, so another
    person's schemas are never matched. Refuses production targets.

        dbt run-operation drop_environment_schemas --target dev
-#}
{% macro drop_environment_schemas() %}
    {%- if target.name in var('production_targets') -%}
        {%- do exceptions.raise_compiler_error(
            "drop_environment_schemas drops a dev or CI environment; target '" ~ target.name
            ~ "' is production"
        ) -%}
    {%- endif -%}
    {%- if execute -%}
        {%- set schemas = [target.schema] -%}
        {%- for node in graph.nodes.values() if node.package_name == project_name
            and node.schema not in schemas -%}
            {%- do schemas.append(node.schema) -%}
        {%- endfor -%}
        {%- for schema in schemas | sort -%}
            {%- do adapter.drop_schema(api.Relation.create(schema=schema)) -%}
            {{ log('dropped schema ' ~ schema ~ ' (if it existed)', info=true) }}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
