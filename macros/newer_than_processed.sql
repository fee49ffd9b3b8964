{% macro newer_than_processed(column, data_type='timestamp') -%}
    {#-
        The filter of an incremental model's input: rows whose `column` is newer than the
        newest one the model (`this`) already holds. The watermark is read first and written
        into the SQL as a literal, so Delta skips every input file whose statistics end before
        it and a daily run reads one day of input. A scalar subquery in the filter selects the
        same rows but skips no file (Spark plans the scan before the subquery has a value): the
        staging merge then read all 3 M Bronze lines to keep 100,000 of them.
        Models fed by Bronze filter on `_batch_id` (its ids sort in ingestion order: the start
        time to the second, then the entity's batch sequence) rather than `_ingested_at`: Delta
        keeps timestamp statistics to the millisecond and pads their maxima by 1 ms, so no
        file of the newest processed batch could be skipped by a timestamp bound.
        An empty model (built before the first ingestion) reads everything. A unit test's `this`
        is a fixture CTE that no query outside the model can see: there the filter keeps the
        subquery form (same rows).
    -#}
    {%- if model is defined and model.resource_type == 'unit_test' -%}
        -- An empty model (no newest value) reads everything.
        coalesce(
            {{ column }} > (select max(processed.{{ column }}) from {{ this }} as processed),
            true
        )
    {%- else -%}
        {%- set newest = none -%}
        {%- if execute -%}
            {%- set found = run_query(
                'select cast(max(' ~ column ~ ') as string) from ' ~ this
            ) -%}
            {%- set newest = found.columns[0].values()[0] -%}
        {%- endif -%}
        {%- if newest is none -%}
            true
        {%- else -%}
            {{ column }} > cast('{{ newest }}' as {{ data_type }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
