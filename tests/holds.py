"""Builders and checks for cart hold and stock event tests: channels, stock, the ledger."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import select

from oms.db import inventory
from oms.db.engine import Database
from oms.db.tables import Channel, InventoryPosition, Network, NetworkLocation, utcnow
from oms.domain.cart_holds import HoldIn, HoldLineIn

PARIS = ("WH-PARIS", "ST-OPERA", "ST-BASTILLE")


def add_channel(
    db: Database,
    channel_id: str = "web-fr",
    locations: Iterable[str] = PARIS,
    *,
    low_stock: int = 0,
    buffer_quantity: int | None = None,
) -> None:
    """A channel selling from its own network of these (seeded) locations."""
    network_id = f"N-{channel_id}"
    with db.session() as s:
        s.add(Network(id=network_id, name=network_id))
        s.flush()
        for loc in locations:
            s.add(NetworkLocation(network_id=network_id, location_id=loc))
        s.add(
            Channel(
                id=channel_id,
                name=channel_id,
                market="FR",
                network_id=network_id,
                low_stock=low_stock,
                buffer_quantity=buffer_quantity,
            )
        )


def set_on_hand(db: Database, stock: dict[tuple[str, str], int]) -> None:
    """Absolute on-hand figures, positions created as needed; ``reserved`` is left alone."""
    with db.session() as s:
        for (sku, loc), qty in stock.items():
            pos = s.get(InventoryPosition, (sku, loc)) or InventoryPosition(
                sku=sku, location_id=loc
            )
            pos.on_hand, pos.updated_at = qty, utcnow()
            s.add(pos)


def ask(lines: dict[str, int], *, channel: str = "web-fr", ttl: int = 900) -> HoldIn:
    return HoldIn(
        channel=channel,
        lines=[HoldLineIn(sku=sku, quantity=q) for sku, q in lines.items()],
        ttl_seconds=ttl,
    )


def reserved(db: Database, sku: str, loc: str) -> int:
    with db.session() as s:
        pos = s.get(InventoryPosition, (sku, loc))
        return pos.reserved if pos is not None else 0


def assert_ledger_matches_positions(db: Database) -> None:
    """The ledger rule: every position's ``reserved`` is the sum of its live entries."""
    with db.session() as s:
        for pos in s.exec(select(InventoryPosition)):
            live = inventory.live_reserved(s, pos.sku, pos.location_id)
            assert pos.reserved == live, f"{pos.sku}@{pos.location_id}: {pos.reserved} != {live}"
