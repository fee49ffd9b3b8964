{#-
    A deterministic string key: the md5 of the given SQL expressions, cast to string, joined
    with `|` (a null becomes `_null_`, so (a, null) and (null, a) differ). Timestamps should be
    passed as `unix_micros(...)` so the key does not depend on the session time zone.
-#}
{% macro surrogate_key(expressions) -%}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- do parts.append("coalesce(cast(" ~ expression ~ " as string), '_null_')") -%}
    {%- endfor -%}
    md5(concat_ws('|', {{ parts | join(', ') }}))
{%- endmacro %}
