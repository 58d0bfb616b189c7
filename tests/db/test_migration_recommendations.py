"""Migration 0027: products stored before it have no relations; the affinity tables come and
go with it."""

from __future__ import annotations

import json

from sqlalchemy import inspect, text

from oms.db.engine import make_engine
from oms.db.migrate import downgrade, upgrade
from tests.db.test_migrations import empty_url  # noqa: F401  (the fixture)

TABLES = {"copurchase_items", "copurchase_pairs", "affinity_neighbours", "affinity_refresh"}


def test_a_product_stored_before_has_no_relations_and_the_tables_go_back(
    empty_url: str,  # noqa: F811
) -> None:
    upgrade(empty_url, "0023")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO products (sku, name, category, updated_at)"
                " VALUES ('TEE', 'Tee', 'apparel', CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()

    upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        relations = conn.execute(text("SELECT relations FROM products")).scalar_one()
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    downgrade(empty_url, "0023")
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        after = set(inspect(conn).get_table_names())
        columns = {c["name"] for c in inspect(conn).get_columns("products")}
    engine.dispose()

    assert (relations if isinstance(relations, list) else json.loads(relations)) == []
    assert tables >= TABLES
    assert not after & TABLES
    assert "relations" not in columns
