{#-
    Generic test (SCD2): every version's window is non-empty and bounded —
    `valid_from < valid_to`, neither null. Returns the offending versions.
-#}
{% test scd2_valid_window(model, valid_from_column='valid_from', valid_to_column='valid_to') %}

with

history as (

    select * from {{ model }}

)

select * from history
where not coalesce({{ valid_from_column }} < {{ valid_to_column }}, false)

{% endtest %}
