{#- `valid_to` of a current version: 9999-12-31 23:59:59 UTC. -#}
{% macro scd2_end_of_time() -%}
    timestamp '9999-12-31 23:59:59+00:00'
{%- endmacro %}
