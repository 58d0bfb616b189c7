"""Builders for test data: orders, locations, products and stock."""

from __future__ import annotations

from typing import Any

from oms.db import products, reason_codes
from oms.db.engine import Database
from oms.db.tables import InventoryPosition, Location
from oms.domain.order import OrderIn

# Paris-area locations: a warehouse south of Paris, two Paris stores and one in Lyon.
LOCATIONS = [
    {"id": "WH-PARIS", "name": "Paris warehouse", "type": "warehouse", "lat": 48.70, "lon": 2.40},
    {"id": "ST-OPERA", "name": "Opéra store", "type": "store", "lat": 48.871, "lon": 2.332},
    {"id": "ST-BASTILLE", "name": "Bastille store", "type": "store", "lat": 48.853, "lon": 2.369},
    {"id": "ST-LYON", "name": "Lyon store", "type": "store", "lat": 45.76, "lon": 4.835},
]
PRODUCTS = [
    {"sku": "SKU-TEE", "name": "Tee shirt", "category": "apparel", "prices": {"EUR": 1999}},
    {"sku": "SKU-JEAN", "name": "Jeans", "category": "apparel", "prices": {"EUR": 5999}},
    {"sku": "SKU-MUG", "name": "Mug", "category": "home", "prices": {"EUR": 899}},
    {"sku": "SKU-PHONE", "name": "Phone", "category": "electronics", "prices": {"EUR": 89900}},
]
PARIS = {"lat": 48.8566, "lon": 2.3522}


def shipped_to(postal_code: str) -> dict[str, Any]:
    """A delivery by carrier to a Paris address with this postal code (the simulators' test
    hooks key on it)."""
    address = {"name": "A", "line1": "1 rue", "city": "Paris", "country": "FR", **PARIS}
    return {"method": "ship", "address": {**address, "postal_code": postal_code}}


def seed(db: Database, stock: dict[tuple[str, str], int] | None = None) -> None:
    """Locations, products, on-hand stock ({(sku, location): qty}) and the built-in reason
    codes, as the migrations seed them."""
    with db.session() as s:
        reason_codes.seed_built_in(s)
        for loc in LOCATIONS:
            s.add(Location(country="FR", **loc))
        products.upsert_all(s, PRODUCTS)
        s.flush()
        for (sku, loc_id), qty in (stock or {}).items():
            s.add(InventoryPosition(sku=sku, location_id=loc_id, on_hand=qty))


def order(order_id: str = "A1", **overrides: Any) -> OrderIn:
    body: dict[str, Any] = {
        "id": order_id,
        "channel": "web-fr",
        "customer": {"id": "C1", "email": "alice@example.com", "tier": "standard"},
        "lines": [
            {"line_id": "1", "sku": "SKU-TEE", "quantity": 2, "unit_price": 1999},
            {"line_id": "2", "sku": "SKU-MUG", "quantity": 1, "unit_price": 899},
        ],
        "currency": "EUR",
        "delivery": {
            "method": "ship",
            "address": {
                "name": "Alice",
                "line1": "1 rue de Rivoli",
                "city": "Paris",
                "postal_code": "75001",
                "country": "FR",
                **PARIS,
            },
        },
        "payment_token": "tok_ok",
    }
    body.update(overrides)
    return OrderIn.model_validate(body)
