"""A generated order history for the recommendations' tests: orders stored as intake stores
them, each holding the given SKUs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from oms.db import orders as order_repo
from oms.db.engine import Database
from tests.factories import order


def place_history(
    db: Database, baskets: Sequence[Sequence[str]], *, start: int, at: datetime
) -> None:
    """One order per basket, ids ``H<start>``..., a second apart from ``at``."""
    with db.session() as s:
        for i, basket in enumerate(baskets, start=start):
            lines = [
                {"line_id": str(n), "sku": sku, "quantity": 1, "unit_price": 100}
                for n, sku in enumerate(basket, start=1)
            ]
            order_repo.insert_order(
                s, order(f"H{i:05}", lines=lines), received_at=at + timedelta(seconds=i)
            )
