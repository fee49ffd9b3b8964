"""Static value pools: the source platform's reference data (categories, brands, regions,
currencies) and the vocabularies anomalies draw from. Data only, no logic."""

from __future__ import annotations

# (code, name). GRCY, BKS and TOY are the codes the brand file's aliases map to.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("CE", "Consumer Electronics"),
    ("GRCY", "Grocery"),
    ("BKS", "Books"),
    ("TOY", "Toys"),
    ("APP", "Apparel"),
    ("HK", "Home & Kitchen"),
    ("SPT", "Sports, Fitness & Outdoors"),
    ("BTY", "Beauty & Personal Care"),
    ("AUTO", "Automotive"),
    ("FTW", "Footwear"),
)

CATEGORY_ALIASES: dict[str, str] = {"GRCY": "GROCERY", "BKS": "BOOKS", "TOY": "TOYS"}

# (code, name, category). Names exercise CSV quoting (commas, quotes) and UTF-8.
BRANDS: tuple[tuple[str, str, str], ...] = (
    ("VOLT", "Volt Electronics", "CE"),
    ("ZENO", "Zeno Audio", "CE"),
    ("PIXL", "Pixel Works", "CE"),
    ("FRSH", "Fresh Basket", "GRCY"),
    ("ORGO", "Orgo Organics", "GRCY"),
    ("DAIL", "Daily Pantry", "GRCY"),
    ("PAGE", "Page, Ink & Co.", "BKS"),
    ("TOME", "Tome House", "BKS"),
    ("INKW", "Inkwell Press", "BKS"),
    ("BLOK", "Blok Builders", "TOY"),
    ("FUNZ", "Funz", "TOY"),
    ("KIDO", 'Kido "Play" Toys', "TOY"),
    ("THRD", "Thread Theory", "APP"),
    ("LOOM", "Loom & Co", "APP"),
    ("WEAV", "Weave", "APP"),
    ("CASA", "Café Casa", "HK"),
    ("NEST", "Nest Living", "HK"),
    ("KITC", "Kitchenary", "HK"),
    ("PEAK", "Peak Performance", "SPT"),
    ("STRD", "Stride", "SPT"),
    ("ACTV", "Active, Inc.", "SPT"),
    ("GLOW", "Glow Beauty", "BTY"),
    ("LUXE", "Luxe Labs", "BTY"),
    ("PURE", "Pure Skin", "BTY"),
    ("MOTR", "Motorworks", "AUTO"),
    ("GEAR", "Gearhead", "AUTO"),
    ("DRV8", "Drive8", "AUTO"),
    ("STEP", "Step Up", "FTW"),
    ("SOLE", "Sole Mates", "FTW"),
    ("TRED", "Tread Lightly", "FTW"),
)

# Codes referenced by orphan rows: in no brand/category file and no alias.
ORPHAN_CATEGORY_CODES: tuple[str, ...] = ("MISC", "GARDEN", "PETS")
ORPHAN_BRAND_CODES: tuple[str, ...] = ("NOVA", "QUIRK", "ZENTA", "ORBIT")
BRAND_SYMBOLS: tuple[str, ...] = ("@", "*", "#", "!", "&", "-", ".")

COLORS: tuple[str, ...] = (
    "Black", "White", "Red", "Blue", "Green", "Grey", "Silver", "Gold", "Pink", "Navy",
    "Beige", "Brown", "Orange", "Purple", "Yellow",
)  # fmt: skip
SIZES: tuple[str, ...] = ("XS", "S", "M", "L", "XL", "XXL", "One Size", "Small", "Medium", "Large")
MATERIALS: tuple[str, ...] = (
    "Cotton", "Aluminum", "Rubber", "Plastic", "Steel", "Wood", "Glass", "Leather",
    "Polyester", "Paper", "Ceramic", "Wool",
)  # fmt: skip
MISSPELLINGS: dict[str, str] = {"Cotton": "Coton", "Aluminum": "Alumium", "Rubber": "Ruber"}

# Region map from the business rules: country -> (country_code, dial code, currency, states).
COUNTRIES: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    (
        "IN",
        "India",
        "91",
        "INR",
        ("MH", "GJ", "RJ", "KA", "TN", "TS", "AP", "KL", "UP", "WB", "DL"),
    ),
    ("AU", "Australia", "61", "AUD", ("VIC", "WA", "NSW", "QLD")),
    ("GB", "United Kingdom", "44", "GBP", ("ENG", "WLS", "NIR", "SCT")),
    ("US", "United States", "1", "USD", ("MA", "NJ", "NY", "FL", "TX", "CA")),
    ("AE", "United Arab Emirates", "971", "AED", ("AUH", "DU", "SHJ")),
    ("SG", "Singapore", "65", "SGD", ("SG",)),
    ("CA", "Canada", "1", "CAD", ("BC", "AB", "ON", "QC", "NS", "IL")),
)
COUNTRY_WEIGHTS: tuple[int, ...] = (50, 7, 10, 15, 7, 5, 6)
PHONE_DIGITS: dict[str, int] = {"IN": 10, "AU": 9, "GB": 10, "US": 10, "AE": 9, "SG": 8, "CA": 10}

# (country_code, country, state, dial code, currency): pairs the region map does not know.
UNMAPPED_REGIONS: tuple[tuple[str, str, str, str, str], ...] = (
    ("IN", "India", "PB", "91", "INR"),
    ("US", "United States", "WA", "1", "USD"),
    ("AU", "Australia", "TAS", "61", "AUD"),
    ("DE", "Germany", "BE", "49", "USD"),
    ("FR", "France", "IDF", "33", "USD"),
)

CURRENCIES: tuple[str, ...] = ("INR", "AED", "AUD", "CAD", "GBP", "SGD", "USD")
UNKNOWN_CURRENCY = "EUR"
# Units of currency per 1 INR is 1/rate; the rates (INR per unit) follow the business rules.
FX_TO_INR: dict[str, float] = {
    "INR": 1.00,
    "AED": 24.18,
    "AUD": 57.55,
    "CAD": 62.93,
    "GBP": 117.98,
    "SGD": 68.18,
    "USD": 88.29,
}
CURRENCY_SYMBOLS: dict[str, str] = {
    "INR": "₹",
    "AED": "AED ",
    "AUD": "A$",
    "CAD": "C$",
    "GBP": "£",
    "SGD": "S$",
    "USD": "$",
    "EUR": "€",
}
# Tax rate per currency, in basis points.
TAX_BP: dict[str, int] = {
    "INR": 1800,
    "AED": 500,
    "AUD": 1000,
    "CAD": 1300,
    "GBP": 2000,
    "SGD": 900,
    "USD": 800,
    "EUR": 2000,
}

CHANNELS: tuple[str, ...] = ("Website", "Mobile", "store")
CHANNEL_WEIGHTS: tuple[int, ...] = (50, 40, 10)
CHANNEL_ALIASES: dict[str, str] = {"Website": "web", "Mobile": "app"}

COUPONS: tuple[str, ...] = ("save10", "welcome5", "fest20", "diwali15", "newyear", "flash25")

NUMBER_WORDS: tuple[str, ...] = (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
)  # fmt: skip
# Quantities 1..10, weighted towards small baskets.
QUANTITY_WEIGHTS: tuple[int, ...] = (55, 20, 10, 5, 3, 2, 2, 1, 1, 1)
# Lines per order 1..5: mean 2.5.
ITEMS_PER_ORDER_WEIGHTS: tuple[int, ...] = (30, 25, 20, 15, 10)
# Discount percentages (as written, and in basis points).
DISCOUNTS: tuple[tuple[str, int], ...] = (
    ("0", 0), ("5", 500), ("10", 1000), ("12.5", 1250), ("15", 1500), ("20", 2000),
    ("25", 2500), ("30", 3000), ("50", 5000),
)  # fmt: skip
DISCOUNT_WEIGHTS: tuple[int, ...] = (60, 8, 10, 3, 6, 6, 3, 2, 2)

DAY_NAMES: tuple[str, ...] = (
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
)  # fmt: skip

# Unrepairable values, per reject reason.
BAD_VALUES: dict[str, tuple[str, ...]] = {
    "order_id": ("",),
    "item_seq": ("", "x", "A1"),
    "bad_dt": ("2025-13-45", "N/A", "", "31/12/2025"),
    "bad_order_ts": ("2025-01-01 25:61:00", "not a time", "", "99-99-2025 10:00"),
    "bad_quantity": ("lots", "0", "-2", "", "many"),
    "bad_unit_price": ("N/A", "-12.00", "", "free"),
    "bad_discount_pct": ("150%", "-5", "abc", "101"),
    "missing_id": ("", "   "),
    "missing_brand_code": ("", "@@", "***"),
    "bad_date": ("32-01-2025", "2025-01-15", "", "N/A", "15/01/2025"),
}
