{#-
    A table location in a comparable form: the local-file scheme (`file:` / `file://`) and
    trailing slashes removed, so `file:/data/bronze/x/` equals `/data/bronze/x`.
-#}
{% macro normalized_location(location) %}
    {%- set text = (location or '') | trim | replace('\\', '/') -%}
    {%- if text.startswith('file://') -%}
        {%- set text = text[7:] -%}
    {%- elif text.startswith('file:') -%}
        {%- set text = text[5:] -%}
    {%- endif -%}
    {{ return(text.rstrip('/')) }}
{% endmacro %}
