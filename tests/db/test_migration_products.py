"""Migration 0023: a product's one price becomes its price in that currency, and back; its
barcodes are indexed for scans."""

from __future__ import annotations

import json

from sqlalchemy import text

from oms.db.engine import make_engine
from oms.db.migrate import downgrade, upgrade
from tests.db.test_migrations import empty_url  # noqa: F401  (the fixture)


def test_a_price_and_its_currency_become_a_price_per_currency(empty_url: str) -> None:  # noqa: F811
    upgrade(empty_url, "0022")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO products (sku, name, category, price, currency, barcodes) VALUES"
                " ('TEE', 'Tee', 'apparel', 1999, 'EUR', '[\"12345670\", \"40063813\"]'),"
                " ('MUG', 'Mug', 'home', 899, 'GBP', '[]')"
            )
        )
    engine.dispose()

    upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT sku, prices, active, returnable FROM products ORDER BY sku")
        ).all()
        indexed = conn.execute(text("SELECT barcode, sku FROM product_barcodes")).all()
    engine.dispose()
    downgrade(empty_url, "0022")
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        back = conn.execute(text("SELECT sku, price, currency FROM products ORDER BY sku")).all()
    engine.dispose()

    prices = {sku: p if isinstance(p, dict) else json.loads(p) for sku, p, *_ in rows}
    assert prices == {"MUG": {"GBP": 899}, "TEE": {"EUR": 1999}}
    assert all(bool(active) and bool(returnable) for _s, _p, active, returnable in rows)
    assert sorted(tuple(r) for r in indexed) == [("12345670", "TEE"), ("40063813", "TEE")]
    assert [tuple(r) for r in back] == [("MUG", 899, "GBP"), ("TEE", 1999, "EUR")]
