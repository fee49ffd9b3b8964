{#-
    Register the path-based Bronze Delta tables, written by the ingestion application, as
    external tables `bronze.<table>` in the catalog of whichever Spark dbt is connected to
    (the embedded session or a Thrift server). Runs on every invocation (`on-run-start`); it
    only adds catalog entries, never data: ingestion is the one writer of Bronze.

    When the Bronze root changes (LAKEHOUSE_BRONZE / var `bronze_root`), an entry that still
    points at the old folder is dropped and created again at the new one. Dropping an EXTERNAL
    table removes only its catalog entry, never its files; an entry that is not external (which
    this macro never creates) is left alone and reported as an error instead. Only production
    moves an entry: Bronze is shared, so a dev or CI build whose root differs stops with an
    error instead of re-pointing everybody's `bronze.*`.

    An invocation whose selection reads no Bronze table (an analyst's `dbt build -s <mart>`)
    skips all this: the entries persist in the catalog, and checking them costs two statements.
-#}
{% macro register_bronze_sources() %}
    {#- Does the selection read Bronze? Yes with no selection, or when a selected node is a
        Bronze source or reads one directly. Only at execution: when dbt parses, `graph` is
        empty (and `selected_resources` may still hold an earlier in-process invocation's). -#}
    {%- set reads = namespace(bronze=execute and not selected_resources) -%}
    {%- set prefix = 'source.' ~ project_name ~ '.bronze.' -%}
    {%- for unique_id in (selected_resources if execute else []) if not reads.bronze -%}
        {%- set node = graph.nodes.get(unique_id) or {} -%}
        {%- set parents = (node.get('depends_on') or {}).get('nodes') or [] -%}
        {%- for candidate in [unique_id] + parents if candidate.startswith(prefix) -%}
            {%- set reads.bronze = true -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if reads.bronze -%}
        {%- set root = var('bronze_root') | trim | replace('\\', '/') -%}
        {%- do run_query('create schema if not exists bronze') -%}
        {#- What is registered now: lower-case name -> {location, type (EXTERNAL or MANAGED)},
            in one statement. -#}
        {%- set registered = {} -%}
        {%- for row in run_query("show table extended in bronze like '*'").rows -%}
            {%- set details = {'location': '', 'type': ''} -%}
            {%- for line in (row['information'] or '').split('\n') -%}
                {%- if line.startswith('Location:') -%}
                    {%- do details.update({'location': line[9:] | trim}) -%}
                {%- elif line.startswith('Type:') -%}
                    {%- do details.update({'type': line[5:] | trim | upper}) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do registered.update({row['tableName'] | lower: details}) -%}
        {%- endfor -%}
        {%- for table_name, folder in var('bronze_tables').items() -%}
            {%- set location = root.rstrip('/') ~ '/' ~ folder -%}
            {%- set entry = registered.get(table_name | lower) -%}
            {%- set in_place = entry is not none
                and normalized_location(entry['location']) == normalized_location(location) -%}
            {%- if entry is not none and not in_place -%}
                {%- if target.name not in var('production_targets') -%}
                    {%- do exceptions.raise_compiler_error(
                        'bronze.' ~ table_name ~ ' is registered at ' ~ entry['location']
                        ~ ', this build reads Bronze at ' ~ location ~ ': only production ('
                        ~ var('production_targets') | join(', ') ~ ') moves the shared Bronze '
                        ~ 'tables; set LAKEHOUSE_BRONZE to the registered root.'
                    ) -%}
                {%- elif entry['type'] != 'EXTERNAL' -%}
                    {%- do exceptions.raise_compiler_error(
                        'bronze.' ~ table_name ~ ' is a ' ~ entry['type'] ~ ' table at '
                        ~ entry['location'] ~ ', not the external table at ' ~ location
                        ~ ': drop it by hand if it is not needed.'
                    ) -%}
                {%- endif -%}
                {{ log('bronze.' ~ table_name ~ ': ' ~ entry['location'] ~ ' -> ' ~ location) }}
                {%- do run_query('drop table bronze.' ~ table_name) -%}
            {%- endif -%}
            {#- Already registered here: no statement at all (every run starts with this). -#}
            {%- if not in_place -%}
                {%- do run_query(
                    'create table if not exists bronze.' ~ table_name
                    ~ " using delta location '" ~ location ~ "'"
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
