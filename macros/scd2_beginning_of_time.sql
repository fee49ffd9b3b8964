{#- `valid_from` of the first version of every key: 1900-01-01 00:00:00 UTC. -#}
{% macro scd2_beginning_of_time() -%}
    timestamp '1900-01-01 00:00:00+00:00'
{%- endmacro %}
