"""Lookups read without a transaction: a writer holding its lock never holds them up."""

from __future__ import annotations

from sqlmodel import select

from oms.db.engine import Database
from oms.db.tables import Product
from tests.factories import seed


def test_a_lookup_does_not_wait_for_a_writer_and_sees_only_what_is_committed(
    db: Database,
) -> None:
    seed(db)
    with db.session() as writer:  # on SQLite: BEGIN IMMEDIATE, the write lock is held
        writer.add(Product(sku="SKU-NEW", name="New", category="home"))
        writer.flush()
        # Were the lookup to take the lock, it would fail here ("database is locked").
        with db.reading() as s:
            skus = set(s.exec(select(Product.sku)))
        assert "SKU-NEW" not in skus
        assert "SKU-TEE" in skus
    with db.reading() as s:
        assert s.get(Product, "SKU-NEW") is not None
