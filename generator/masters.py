"""The source system's clean master data and how it changes from one export to the next.

These are the *true* values (what Silver should end up with); anomalies are applied only when a
picture is written out. Everything here is a pure function of its arguments and random stream.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from generator import pools
from generator.seeding import pick, sample_count, stream, weighted_table

CUSTOMER_ID_DIGITS = 8
PRODUCT_ID_DIGITS = 7
# Orphan ids (`C99` + 6 digits, `P99` + 5 digits) sit in a range real ids only reach past
# 99 million customers or 9.9 million products.
ORPHAN_CUSTOMER_PREFIX = "C99"
ORPHAN_PRODUCT_PREFIX = "P99"


@dataclass(frozen=True)
class Customer:
    customer_id: str
    phone: str | None
    country_code: str
    country: str
    state: str
    currency: str
    mapped: bool

    def silver(self) -> tuple[str, ...]:
        """The attributes as Silver sees them (what SCD2 compares)."""
        return (self.phone or "Not Available", self.country_code, self.country, self.state)


@dataclass(frozen=True)
class Product:
    product_id: str
    sku: str
    category_code: str
    brand_code: str
    color: str
    size: str
    material: str
    weight_grams: int
    length_mm: int
    width_mm: int
    height_mm: int
    rating_count: int | None
    price_paise: int

    @property
    def orphan_brand(self) -> bool:
        return self.brand_code in pools.ORPHAN_BRAND_CODES

    def silver(self) -> tuple[object, ...]:
        return (
            self.sku,
            self.category_code,
            self.brand_code,
            self.color,
            self.size,
            self.material,
            self.weight_grams,
            self.length_mm,
            self.width_mm,
            self.height_mm,
            self.rating_count or 0,
        )


@dataclass(frozen=True)
class Delta:
    """How an export differs from the previous one, in Silver terms."""

    new_keys: int
    changed_keys: int
    dropped_keys: int


def customer_id(number: int) -> str:
    return f"C{number:0{CUSTOMER_ID_DIGITS}d}"


def product_id(number: int) -> str:
    return f"P{number:0{PRODUCT_ID_DIGITS}d}"


_COUNTRY_TABLE = weighted_table(range(len(pools.COUNTRIES)), pools.COUNTRY_WEIGHTS)


def _phone(rng: random.Random, dial: str, digits: int) -> str:
    return (
        dial + str(rng.randint(6, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(digits - 1))
    )


def new_customer(number: int, rng: random.Random, unmapped: bool, no_phone: bool) -> Customer:
    if unmapped:
        code, country, state, dial, currency = rng.choice(pools.UNMAPPED_REGIONS)
    else:
        code, country, dial, currency, states = pools.COUNTRIES[rng.choice(_COUNTRY_TABLE)]
        state = rng.choice(states)
    digits = pools.PHONE_DIGITS.get(code, 10)
    phone = None if no_phone else _phone(rng, dial, digits)
    return Customer(customer_id(number), phone, code, country, state, currency, not unmapped)


def initial_customers(count: int, rates: Mapping[str, float], rng: random.Random) -> list[Customer]:
    everyone = range(count)
    unmapped = set(pick(rng, rates["customers.region_unmapped"], everyone))
    no_phone = set(pick(rng, rates["customers.phone_missing"], everyone))
    return [new_customer(i + 1, rng, i in unmapped, i in no_phone) for i in everyone]


def new_product(number: int, rng: random.Random, orphan_brand: bool, no_rating: bool) -> Product:
    if orphan_brand:
        brand = rng.choice(pools.ORPHAN_BRAND_CODES)
        category = rng.choice(pools.CATEGORIES)[0]
    else:
        brand, _, category = rng.choice(pools.BRANDS)
    # Log-uniform list price between 49 and 49,999 INR, in paise.
    price = int(math.exp(rng.uniform(math.log(4_900), math.log(4_999_900))))
    return Product(
        product_id=product_id(number),
        sku=f"{brand}-{category}-{number:06d}",
        category_code=category,
        brand_code=brand,
        color=rng.choice(pools.COLORS),
        size=rng.choice(pools.SIZES),
        material=rng.choice(pools.MATERIALS),
        weight_grams=rng.randint(50, 5_000),
        length_mm=rng.randint(50, 1_200),
        width_mm=rng.randint(20, 800),
        height_mm=rng.randint(5, 600),
        rating_count=None if no_rating else rng.randint(1, 5_000),
        price_paise=price,
    )


def initial_products(count: int, rates: Mapping[str, float], rng: random.Random) -> list[Product]:
    everyone = range(count)
    orphans = set(pick(rng, rates["products.orphan_brand_code"], everyone))
    no_rating = set(pick(rng, rates["products.rating_count_missing"], everyone))
    return [new_product(i + 1, rng, i in orphans, i in no_rating) for i in everyone]


def _change_customer(customer: Customer, rng: random.Random) -> Customer:
    states = next((c[4] for c in pools.COUNTRIES if c[0] == customer.country_code), ())
    movable = customer.mapped and len(states) > 1
    if movable and rng.random() < 0.3:
        state = rng.choice([s for s in states if s != customer.state])
        return replace(customer, state=state)
    dial = next((c[2] for c in pools.COUNTRIES if c[0] == customer.country_code), None)
    if dial is None:
        dial = next(u[3] for u in pools.UNMAPPED_REGIONS if u[0] == customer.country_code)
    digits = pools.PHONE_DIGITS.get(customer.country_code, 10)
    phone = customer.phone
    while phone == customer.phone:
        phone = _phone(rng, dial, digits)
    return replace(customer, phone=phone)


def _change_product(product: Product, rng: random.Random) -> Product:
    attribute = rng.choice(("color", "size", "material", "weight_grams", "rating_count"))
    if attribute == "rating_count":
        return replace(product, rating_count=(product.rating_count or 0) + rng.randint(1, 50))
    if attribute == "weight_grams":
        steps = (10, 25) if product.weight_grams <= 25 else (-25, -10, 10, 25)
        return replace(product, weight_grams=product.weight_grams + rng.choice(steps))
    choices = {"color": pools.COLORS, "size": pools.SIZES, "material": pools.MATERIALS}[attribute]
    current = getattr(product, attribute)
    return replace(product, **{attribute: rng.choice([v for v in choices if v != current])})


def evolve_customers(
    previous: Sequence[Customer], next_number: int, rates: Mapping[str, float], rng: random.Random
) -> tuple[list[Customer], Delta]:
    return _evolve(previous, next_number, rates, rng, "customers")


def evolve_products(
    previous: Sequence[Product], next_number: int, rates: Mapping[str, float], rng: random.Random
) -> tuple[list[Product], Delta]:
    return _evolve(previous, next_number, rates, rng, "products")


def _evolve(
    previous: Sequence[Customer] | Sequence[Product],
    next_number: int,
    rates: Mapping[str, float],
    rng: random.Random,
    entity: str,
) -> tuple[list, Delta]:
    positions = range(len(previous))
    dropped = set(pick(rng, rates[f"{entity}.drop"], positions))
    kept = [i for i in positions if i not in dropped]
    changed = set(pick(rng, rates[f"{entity}.change"], kept))
    picture: list = []
    changed_keys = 0
    for i in kept:
        record = previous[i]
        if i in changed:
            if entity == "customers":
                record = _change_customer(record, rng)
            else:
                record = _change_product(record, rng)
            # Counted as Silver sees it: a change must survive cleaning to make a new version.
            changed_keys += record.silver() != previous[i].silver()
        picture.append(record)
    growth = sample_count(rates[f"{entity}.growth"], len(previous))
    for offset in range(growth):
        number = next_number + offset
        if entity == "customers":
            picture.append(
                new_customer(
                    number,
                    rng,
                    rng.random() < rates["customers.region_unmapped"],
                    rng.random() < rates["customers.phone_missing"],
                )
            )
        else:
            picture.append(
                new_product(
                    number,
                    rng,
                    rng.random() < rates["products.orphan_brand_code"],
                    rng.random() < rates["products.rating_count_missing"],
                )
            )
    return picture, Delta(growth, changed_keys, len(dropped))


def pictures(
    entity: str,
    base_seed: int,
    base_count: int,
    rates_per_export: Sequence[Mapping[str, float]],
) -> Iterator[tuple[list, Delta]]:
    """Every export picture of ``customers`` or ``products`` in order, with its delta. Export
    ``j`` uses ``rates_per_export[j]`` (the rates of the run that wrote it); export 0 is the
    initial population."""
    picture: list = []
    next_number = base_count + 1
    for index, rates in enumerate(rates_per_export):
        rng = stream(base_seed, entity, "export", index)
        if index == 0:
            make = initial_customers if entity == "customers" else initial_products
            picture = make(base_count, rates, rng)
            delta = Delta(len(picture), 0, 0)
        else:
            evolve = evolve_customers if entity == "customers" else evolve_products
            picture, delta = evolve(picture, next_number, rates, rng)
            next_number += delta.new_keys
        yield picture, delta
