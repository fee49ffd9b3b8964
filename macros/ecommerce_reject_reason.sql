{#-
    Why a Bronze row of `entity` cannot be repaired, or null when it can: the quarantine
    vocabulary of the generator's manifest (`reject_reasons`), one reason per row. The checks run
    in the manifest's order, so a row with several problems gets the first (the generator never
    sends such rows, so the expected reason is unambiguous):

    - every entity: `malformed_row` (`_corrupt_record` set: the line did not parse);
    - order_items: `missing_key` (order_id blank, or item_seq not a positive integer), `bad_dt`,
      `bad_order_ts`, `bad_quantity` (unparseable or < 1), `bad_unit_price` (unparseable or
      negative), `bad_discount_pct` (unparseable or outside [0, 100]);
    - customers `missing_customer_id`, products `missing_product_id`, brands
      `missing_brand_code` (nothing left after cleaning), category `missing_category_code`;
    - date `bad_date` (not a `dd-MM-yyyy` date).

    It reads the raw Bronze columns by name; for order_items the caller joins the
    `quantity_words` seed and passes the looked-up value as `quantity_word_value`.
-#}
{% macro ecommerce_reject_reason(entity, quantity_word_value='null') %}
    {%- set checks = {
        'order_items': [
            ('missing_key', trim_to_null('order_id') ~ ' is null or coalesce('
                ~ parse_integer('item_seq') ~ ' < 1, true)'),
            ('bad_dt', parse_date('dt', 'yyyy-MM-dd') ~ ' is null'),
            ('bad_order_ts', parse_order_ts('order_ts') ~ ' is null'),
            ('bad_quantity', 'coalesce(' ~ parse_quantity('quantity', quantity_word_value)
                ~ ' < 1, true)'),
            ('bad_unit_price', 'coalesce(' ~ parse_money('unit_price') ~ ' < 0, true)'),
            ('bad_discount_pct', parse_percent('discount_pct') ~ ' is null'),
        ],
        'customers': [('missing_customer_id', trim_to_null('customer_id') ~ ' is null')],
        'products': [('missing_product_id', trim_to_null('product_id') ~ ' is null')],
        'brands': [('missing_brand_code', clean_brand_code('brand_code') ~ ' is null')],
        'category': [('missing_category_code', clean_code('category_code') ~ ' is null')],
        'date': [('bad_date', parse_date('date', 'dd-MM-yyyy') ~ ' is null')],
    } -%}
    {%- if entity not in checks -%}
        {%- do exceptions.raise_compiler_error('unknown entity for a reject reason: ' ~ entity) -%}
    {%- endif -%}
    {%- set branches = ["when _corrupt_record is not null then 'malformed_row'"] -%}
    {%- for reason, condition in checks[entity] -%}
        {%- do branches.append('when ' ~ condition ~ " then '" ~ reason ~ "'") -%}
    {%- endfor -%}
    case {{ branches | join(' ') }} end
{%- endmacro %}
