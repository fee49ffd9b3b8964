{#-
    SCD2 history of a dimension derived from its export pictures (deterministic, replayable):
    `relation` holds one row per key per export (`export_date`, `_ingested_at`, `_source_file`
    and the attribute columns). Per export date only the newest picture counts (the latest
    ingested, then the last file name).

    - A key's first version is valid from the beginning of time (`scd2_beginning_of_time`).
    - A changed attribute (null-safe comparison of all `attribute_columns`) opens a new version
      at that export's date (00:00 UTC); the previous version is closed there.
    - A key missing from a later export is closed at that export's date; if it comes back, a new
      version opens at the date it reappears.
    - A version still in the latest export is current: valid to `scd2_end_of_time`.

    Returns a select of key, attributes, `valid_from`, `valid_to`, `is_current`,
    `version_number`, `first_export_date` and `last_export_date` (the exports the version
    was seen in).
-#}
{% macro scd2_from_exports(relation, key_column, attribute_columns) %}
    {%- set attributes = attribute_columns | join(', ') -%}
    {%- set picture_attributes = [] -%}
    {%- set version_attributes = [] -%}
    {%- for column in attribute_columns -%}
        {%- do picture_attributes.append('picture_rows.' ~ column) -%}
        {%- do version_attributes.append('numbered.' ~ column) -%}
    {%- endfor -%}
    with

    picture_rows as (

        select * from {{ relation }}

    ),

    pictures as (

        select
            export_date,
            _source_file,
            row_number() over (
                partition by export_date order by max(_ingested_at) desc, _source_file desc
            ) as picture_rank
        from picture_rows
        group by export_date, _source_file

    ),

    export_pictures as (

        select
            export_date,
            _source_file
        from pictures
        where picture_rank = 1

    ),

    exports as (

        -- Position of each export in the history (1, 2, …), without a global window.
        select
            later.export_date,
            later._source_file,
            count(*) as export_seq
        from export_pictures as later
        inner join export_pictures as earlier
            on earlier.export_date <= later.export_date
        group by later.export_date, later._source_file

    ),

    key_exports as (

        select
            picture_rows.{{ key_column }},
            {{ picture_attributes | join(', ') }},
            exports.export_date,
            exports.export_seq
        from picture_rows
        inner join exports
            on picture_rows._source_file = exports._source_file

    ),

    compared as (

        select
            *,
            lag(export_seq) over (
                partition by {{ key_column }} order by export_seq
            ) as previous_export_seq,
            lag(struct({{ attributes }})) over (
                partition by {{ key_column }} order by export_seq
            ) as previous_attributes
        from key_exports

    ),

    flagged as (

        select
            *,
            case
                when previous_export_seq is null then 1
                when previous_export_seq <> export_seq - 1 then 1
                when not (previous_attributes <=> struct({{ attributes }})) then 1
                else 0
            end as opens_version,
            previous_export_seq is null as is_first_appearance
        from compared

    ),

    numbered as (

        select
            *,
            sum(opens_version) over (
                partition by {{ key_column }}
                order by export_seq
                rows between unbounded preceding and current row
            ) as version_number
        from flagged

    ),

    versions as (

        select
            {{ key_column }},
            version_number,
            min(export_seq) as first_export_seq,
            max(export_seq) as last_export_seq,
            min(export_date) as first_export_date,
            max(export_date) as last_export_date,
            bool_or(is_first_appearance) as is_first_version
        from numbered
        group by {{ key_column }}, version_number

    ),

    version_attributes as (

        select
            versions.*,
            {{ version_attributes | join(', ') }},
            next_exports.export_date as closed_at_export_date
        from versions
        inner join numbered
            on
                versions.{{ key_column }} = numbered.{{ key_column }}
                and versions.first_export_seq = numbered.export_seq
        left outer join exports as next_exports
            on versions.last_export_seq + 1 = next_exports.export_seq

    ),

    windowed as (

        select
            {{ key_column }},
            {{ attributes }},
            case
                when is_first_version then {{ scd2_beginning_of_time() }}
                else {{ start_of_day_utc('first_export_date') }}
            end as valid_from,
            coalesce(
                {{ start_of_day_utc('closed_at_export_date') }}, {{ scd2_end_of_time() }}
            ) as valid_to,
            closed_at_export_date is null as is_current,
            cast(version_number as int) as version_number,
            first_export_date,
            last_export_date
        from version_attributes

    )

    select * from windowed
{% endmacro %}
