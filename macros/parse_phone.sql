{#-
    Phone number as digits only. The export writes numbers as floats: the fraction of
    `917280033536.0` is dropped and scientific notation (`9.17280033536E11`) is expanded; then
    every non-digit (`+`, spaces, dashes) is removed. Missing -> `missing` (`Not Available`).
-#}
{% macro parse_phone(column, missing='Not Available') -%}
    coalesce(
        nullif(
            case
                when trim({{ column }}) rlike '^[0-9]+([.][0-9]*)?[eE][+]?[0-9]+$'
                    then cast(try_cast(trim({{ column }}) as decimal(38, 0)) as string)
                else regexp_replace(regexp_replace(trim({{ column }}), '[.]0*$', ''), '[^0-9]', '')
            end,
            ''
        ),
        '{{ missing }}'
    )
{%- endmacro %}
