{#- An amount in rupees, rounded up to the whole rupee; null when the currency has no rate. -#}
{% macro inr_amount(amount, inr_rate) -%}
    cast(ceil({{ amount }} * {{ inr_rate }}) as decimal(20, 2))
{%- endmacro %}
