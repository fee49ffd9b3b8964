{#-
    The docs catalog on open-source Delta Lake (adapter override of dbt-spark's macro).

    dbt-spark builds `catalog.json` from `show table extended in <schema> like '*'`: it reads
    each relation's columns from the `information` text, which open-source Delta tables leave
    without a schema (dbt-spark 1.11 then runs `describe extended` on every relation of the
    schema, the project's or not, and leaves a relation without columns if that fails). So
    during `dbt docs generate` (and only then) this override:

    1. lists only the project's relations of the schema (models, seeds, snapshots, tests that
       store failures, sources: every graph node with a relation in it), not every table an
       analyst or an older build left there, with Spark's `like 'a|b|c'` pattern;
    2. adds to each relation's `information` the schema block dbt-spark parses
       (` |-- <column>: <type> (nullable = true)`, one line per column, from `describe table`),
       unless Spark already put one there;
    3. drops the `Statistics:` line: the metastore does not keep Delta tables' row counts
       (`13628 bytes, 0 rows` for a table of 31 rows), and the docs would show them as facts;
    4. writes a view's column types with their SQL names (`bigint`, not Spark's `long`).

    Every other command (run, build, test, ...) fills dbt's relation cache the way dbt-spark
    does, but lists only the relations of the selected nodes (`selected_resources`), the only
    ones those commands look up: `show table extended` reads every matching relation's catalog
    entry, and a schema such as `audit` holds a view per data test. An analyst's
    `dbt build -s <mart>` lists a handful of relations, not the whole warehouse. Without a
    selection (`run-operation`), the whole schema is listed.
-#}
{% macro spark__list_relations_without_caching(relation) %}
    {%- set generating_docs = flags.WHICH == 'generate' -%}
    {%- set names = [] -%}
    {%- if generating_docs -%}
        {%- set candidates = graph.nodes.values() | list + graph.sources.values() | list -%}
    {%- else -%}
        {%- set candidates = [] -%}
        {%- for unique_id in selected_resources -%}
            {%- set node = graph.nodes.get(unique_id) or graph.sources.get(unique_id) -%}
            {%- if node -%}
                {%- do candidates.append(node) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for node in candidates -%}
        {%- set name = node.get('alias') or node.get('identifier') -%}
        {%- if node.get('relation_name') and name
            and (node.get('schema') or '') | lower == relation.schema | lower -%}
            {%- do names.append(name | lower) -%}
        {%- endif -%}
    {%- endfor -%}

    {%- set pattern = names | unique | sort | join('|') if names else '*' -%}
    {%- set listed = run_query(
        'show table extended in ' ~ relation.schema ~ " like '" ~ pattern ~ "'"
    ) -%}
    {%- if not generating_docs or not names -%}
        {{ return(listed) }}
    {%- endif -%}

    {#- Spark writes a view's schema block with its internal type names (`long`); the catalog
        shows the SQL names `describe table` gives for every other relation (`bigint`). -#}
    {%- set sql_names = {
        'long': 'bigint', 'integer': 'int', 'short': 'smallint', 'byte': 'tinyint'
    } -%}
    {%- set top_level_type = '^( \\|-- [^:]+: )(long|integer|short|byte)( .*)$' -%}
    {%- set relations = [] -%}
    {%- for row in listed.rows -%}
        {%- set kept = [] -%}
        {%- for line in (row[3] or '').split('\n') if not line.startswith('Statistics:') -%}
            {%- set typed = modules.re.match(top_level_type, line) -%}
            {%- if typed -%}
                {%- set line = typed.group(1) ~ sql_names[typed.group(2)] ~ typed.group(3) -%}
            {%- endif -%}
            {%- do kept.append(line) -%}
        {%- endfor -%}
        {%- set information = kept | join('\n') -%}
        {%- if ' |-- ' not in information -%}
            {%- set described = run_query(
                'describe table ' ~ adapter.quote(row[0]) ~ '.' ~ adapter.quote(row[1])
            ) -%}
            {#- Columns come first; partitioning and other details follow a blank or `#` row. -#}
            {%- set lines = ['Schema: root'] -%}
            {%- set columns = namespace(done=false) -%}
            {%- for column in described.rows -%}
                {%- if not column[0] or column[0].startswith('#') -%}
                    {%- set columns.done = true -%}
                {%- endif -%}
                {%- if not columns.done -%}
                    {%- do lines.append(
                        ' |-- ' ~ column[0] ~ ': ' ~ column[1] ~ ' (nullable = true)'
                    ) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- set information = information.rstrip('\n') ~ '\n' ~ lines | join('\n') ~ '\n' -%}
        {%- endif -%}
        {%- do relations.append([row[0], row[1], row[2], information]) -%}
    {%- endfor -%}
    {{ return(relations) }}
{% endmacro %}
