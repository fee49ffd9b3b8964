"""The landing-zone contract: entities and the header columns the source system exports.

Shared by the generator (which writes it), the ingestion (which reads it) and the tests. Column
names are the source system's; Bronze keeps them, as strings, exactly as landed.
"""

from __future__ import annotations

ENTITIES: tuple[str, ...] = ("brands", "category", "customers", "date", "products", "order_items")

HEADERS: dict[str, tuple[str, ...]] = {
    "brands": ("brand_code", "brand_name", "category_code"),
    "category": ("category_code", "category_name"),
    "customers": ("customer_id", "phone", "country_code", "country", "state"),
    "date": ("date", "year", "day_name", "quarter", "week_of_year"),
    "products": (
        "product_id",
        "sku",
        "category_code",
        "brand_code",
        "color",
        "size",
        "material",
        "weight_grams",
        "length_cm",
        "width_cm",
        "height_cm",
        "rating_count",
    ),
    "order_items": (
        "dt",
        "order_ts",
        "customer_id",
        "order_id",
        "item_seq",
        "product_id",
        "quantity",
        "unit_price_currency",
        "unit_price",
        "discount_pct",
        "tax_amount",
        "channel",
        "coupon_code",
    ),
}
