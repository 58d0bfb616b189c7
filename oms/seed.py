"""Demo data for `oms dev`: French warehouses and stores, ~50 products, stock and API keys."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from oms.db import api_keys, reason_codes
from oms.db import products as product_repo
from oms.db.engine import Database
from oms.db.tables import (
    ApiKey,
    Channel,
    Exclusion,
    InventoryPosition,
    Location,
    Network,
    NetworkLocation,
    ProductLocation,
    SafetyRule,
)
from oms.keys import store_key_name

LOCATIONS: list[dict[str, Any]] = [
    {
        "id": "WH-PARIS-SUD",
        "name": "Entrepôt Paris Sud",
        "type": "warehouse",
        "lat": 48.63,
        "lon": 2.44,
        "daily_capacity": 5000,
    },
    {
        "id": "WH-LYON",
        "name": "Entrepôt Lyon",
        "type": "warehouse",
        "lat": 45.72,
        "lon": 4.92,
        "daily_capacity": 4000,
    },
    {
        "id": "WH-LILLE",
        "name": "Entrepôt Lille",
        "type": "warehouse",
        "lat": 50.60,
        "lon": 3.10,
        "daily_capacity": 3000,
    },
    {
        "id": "ST-PARIS-OPERA",
        "name": "Magasin Paris Opéra",
        "type": "store",
        "lat": 48.8716,
        "lon": 2.3322,
        "daily_capacity": 300,
    },
    {
        "id": "ST-PARIS-BASTILLE",
        "name": "Magasin Paris Bastille",
        "type": "store",
        "lat": 48.8532,
        "lon": 2.3691,
        "daily_capacity": 200,
    },
    {
        "id": "ST-LYON-PRESQUILE",
        "name": "Magasin Lyon Presqu'île",
        "type": "store",
        "lat": 45.7600,
        "lon": 4.8357,
        "daily_capacity": 200,
    },
    {
        "id": "ST-MARSEILLE",
        "name": "Magasin Marseille Vieux-Port",
        "type": "store",
        "lat": 43.2951,
        "lon": 5.3744,
        "daily_capacity": 150,
    },
    {
        "id": "ST-BORDEAUX",
        "name": "Magasin Bordeaux",
        "type": "store",
        "lat": 44.8412,
        "lon": -0.5800,
        "daily_capacity": 150,
    },
    {
        "id": "ST-NANTES",
        "name": "Magasin Nantes",
        "type": "store",
        "lat": 47.2184,
        "lon": -1.5536,
        "daily_capacity": 120,
    },
]

_CATEGORIES: dict[str, tuple[list[str], int]] = {
    "apparel": (["T-shirt", "Chemise", "Pull", "Jean", "Veste", "Robe", "Short", "Sweat"], 2999),
    "footwear": (["Baskets", "Bottines", "Sandales", "Mocassins", "Chaussons"], 6999),
    "home": (["Mug", "Plaid", "Coussin", "Lampe", "Vase", "Bougie", "Cadre"], 1999),
    "beauty": (["Crème", "Parfum", "Savon", "Shampooing", "Rouge à lèvres"], 1599),
    "sports": (["Ballon", "Tapis de yoga", "Gourde", "Raquette", "Haltères"], 2499),
    "toys": (["Puzzle", "Peluche", "Jeu de société", "Voiture", "Cubes"], 1799),
    "electronics": (
        ["Casque", "Enceinte", "Chargeur", "Montre", "Écouteurs", "Liseuse", "Smartphone"],
        8999,
    ),
    "gift_cards": (["Carte cadeau 50", "Carte cadeau 100", "Carte cadeau 200"], 5000),
}


def products() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for category, (names, base_price) in _CATEGORIES.items():
        for i, name in enumerate(names, start=1):
            out.append(
                {
                    "sku": f"{category[:3].upper()}-{i:03d}",
                    "name": name,
                    "category": category,
                    "prices": {"EUR": base_price + 500 * (i - 1)},
                    # A store-internal GTIN-13 (prefix 2), so that scans work in the demo.
                    "barcodes": [f"2{len(out) + 1:012d}"],
                    # What the recommendations offer beside it: the next of its category.
                    "relations": [
                        {
                            "sku": f"{category[:3].upper()}-{i % len(names) + 1:03d}",
                            "kind": "related",
                            "weight": 0.5,
                        }
                    ]
                    if len(names) > 1
                    else [],  # fmt: skip
                }
            )
    # A smartphone's accessories: headphones, a charger, earphones.
    phone = next(p for p in out if p["sku"] == "ELE-007")
    phone["relations"] = [
        {"sku": sku, "kind": "accessory", "weight": w}
        for sku, w in (("ELE-003", 1.0), ("ELE-005", 0.8), ("ELE-001", 0.6))
    ]
    return out


def places(catalog: list[dict[str, Any]], location_id: str) -> list[ProductLocation]:
    """Where each product sits in a demo location: a zone per category, in catalogue
    order, which is the walking order."""
    zones = {category: chr(ord("A") + i) for i, category in enumerate(_CATEGORIES)}
    return [
        ProductLocation(
            sku=p["sku"],
            location_id=location_id,
            zone=zones[p["category"]],
            bin=f"{zones[p['category']]}-{walk:03d}",
            walk_order=walk,
        )
        for walk, p in enumerate(catalog, start=1)
    ]


def seed_catalog(db: Database, *, rng_seed: int = 42) -> bool:
    """Locations, products, stock, channels and the built-in reason codes; does nothing if
    locations already exist (but adds the channels and codes to a demo database made before
    there were any)."""
    with db.session() as s:
        reason_codes.seed_built_in(s)
        if s.exec(select(Location)).first() is not None:
            seed_channels(s)
            return False
        rng = random.Random(rng_seed)
        for loc in LOCATIONS:
            s.add(Location(country="FR", **loc))
        catalog = products()
        product_repo.upsert_all(s, catalog)
        s.flush()
        for loc in LOCATIONS:
            s.add_all(places(catalog, loc["id"]))
            is_store = loc["type"] == "store"
            for p in catalog:
                if is_store and rng.random() < 0.3:
                    continue  # stores don't carry everything
                qty = rng.randint(0, 12) if is_store else rng.randint(40, 400)
                s.add(InventoryPosition(sku=p["sku"], location_id=loc["id"], on_hand=qty))
        seed_channels(s)
    return True


# Networks and the channels selling from them, as a French retailer would start: the web and
# the app sell from everything, the marketplace from the warehouses only, in-store kiosks
# from the stores.
NETWORKS: dict[str, tuple[str, str | None]] = {
    "FR-ALL": ("France, every location", None),
    "FR-WAREHOUSES": ("France, warehouses", "warehouse"),
    "FR-STORES": ("France, stores", "store"),
}
CHANNELS: list[dict[str, Any]] = [
    {
        "id": "web-fr",
        "locale": "fr",
        "currency": "EUR",
        "name": "Site web France",
        "network_id": "FR-ALL",
        "buffer_quantity": 2,
        "low_stock": 5,
    },
    {
        "id": "app-fr",
        "locale": "fr",
        "currency": "EUR",
        "name": "Application France",
        "network_id": "FR-ALL",
        "buffer_quantity": 2,
        "low_stock": 5,
    },
    {
        "id": "marketplace-x",
        "name": "Marketplace X",
        "currency": "EUR",
        "network_id": "FR-WAREHOUSES",
        "buffer_percent": 10.0,
    },
    {"id": "kiosk", "name": "Bornes en magasin", "network_id": "FR-STORES", "currency": "EUR"},
]


def seed_channels(s: Session) -> None:
    """The networks and channels above, a safety stock of 1 unit in every store (the last
    unit on a shelf is often damaged or missing) and gift cards kept off the marketplace."""
    if s.get(Network, "FR-ALL") is not None:
        _demo_currencies(s)
        return
    for net_id, (name, only_type) in NETWORKS.items():
        s.add(Network(id=net_id, name=name))
        s.flush()
        for loc in LOCATIONS:
            if only_type in (None, loc["type"]):
                s.add(NetworkLocation(network_id=net_id, location_id=loc["id"]))
    for ch in CHANNELS:
        s.add(Channel(market="FR", **ch))
    s.add(
        SafetyRule(
            id="stores-last-unit",
            scope="location_type",
            location_type="store",
            quantity=1,
            note="The last unit on a shelf is often damaged or missing",
        )
    )
    s.add(
        Exclusion(
            id="no-gift-cards-on-marketplace",
            channel="marketplace-x",
            category="gift_cards",
            note="Fraud risk",
        )
    )


def _demo_currencies(s: Session) -> None:
    """A demo database made before channels had a currency: its channels sell in euros."""
    for ch in CHANNELS:
        row = s.get(Channel, ch["id"])
        if row is not None and row.currency is None:
            row.currency = ch["currency"]
            s.add(row)


def ensure_dev_keys(db: Database, path: Path) -> dict[str, str]:
    """One key per role and one per store; kept in `path` (plain keys exist nowhere else)."""
    with db.session() as s:
        have_keys = s.exec(select(ApiKey)).first() is not None
        if path.exists() and have_keys:
            stored: dict[str, str] = json.loads(path.read_text())
            now = datetime.now(UTC)
            if all(api_keys.authenticate(s, k, now) for k in stored.values()):
                return stored
        made: dict[str, str] = {}
        for role in ("storefront", "analyst", "integration", "admin"):
            made[role] = api_keys.create_key(s, role=role, name=f"demo-{role}")
        for loc in LOCATIONS:
            if loc["type"] == "store":
                made[store_key_name(loc["id"])] = api_keys.create_key(
                    s, role="store", name=f"demo-{loc['id']}", location_id=loc["id"]
                )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(made, indent=2) + "\n")
    path.chmod(0o600)
    return made
