"""A till's sales and returns applied to its store's stock (``POST /webhooks/pos``): a sale
takes the units off on hand, a return puts them back, or sets them apart (quarantined) when
they cannot be sold again. Each line is an inventory event of its own, applied once, so the
ATP watcher sees the positions move as for any other stock move (and emits the stock events
their channels' figures cross)."""

from __future__ import annotations

from sqlmodel import Session

from oms.db import inventory
from oms.db.stock_updates import DeltaUpdate, apply_deltas
from oms.domain.inbound import PosEvent, pos_moves
from oms.keys import pos_stock_event_id


def apply_pos_event(session: Session, *, sender: str, event_id: str, event: PosEvent) -> int:
    """Move the store's stock as the event says (the caller applies each event id once); the
    units moved."""
    deltas: list[DeltaUpdate] = []
    moved = 0
    for sku, on_hand, quarantined in pos_moves(event):
        if quarantined:
            if inventory.receive_once(
                session,
                event_id=pos_stock_event_id(sender, event_id, sku, set_apart=True),
                sku=sku,
                location_id=event.location_id,
                quarantined=quarantined,
            ):
                moved += quarantined
            continue
        deltas.append(
            DeltaUpdate(
                event_id=pos_stock_event_id(sender, event_id, sku),
                sku=sku,
                location_id=event.location_id,
                delta=on_hand,
            )
        )
        moved += abs(on_hand)
    if deltas:
        apply_deltas(session, deltas)
    session.flush()
    return moved
