{#-
    The tables registered in schema `bronze`, as a dict: lower-case name -> {'location', 'type'}
    (`type` is EXTERNAL or MANAGED), read in one statement from `show table extended`.
-#}
{% macro bronze_catalog_entries() %}
    {%- set entries = {} -%}
    {%- set result = run_query("show table extended in bronze like '*'") -%}
    {%- for row in result.rows -%}
        {%- set details = {'location': '', 'type': ''} -%}
        {%- for line in (row['information'] or '').split('\n') -%}
            {%- if line.startswith('Location:') -%}
                {%- do details.update({'location': line[9:] | trim}) -%}
            {%- elif line.startswith('Type:') -%}
                {%- do details.update({'type': line[5:] | trim | upper}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do entries.update({row['tableName'] | lower: details}) -%}
    {%- endfor -%}
    {{ return(entries) }}
{% endmacro %}
