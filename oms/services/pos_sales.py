"""A till's sales and returns applied to its store's stock (``POST /webhooks/pos``): a sale
takes the units off on hand, a return puts them back, or sets them apart (quarantined) when
they cannot be sold again. Each line is an inventory event of its own, applied once, so the
ATP watcher sees the positions move as for any other stock move (and emits the stock events
their channels' figures cross).

A till that sells more than the OMS holds on hand there is right (the goods were at the till):
on hand falls to zero and an ``inventory.discrepancy`` event tells the store and the ERP that
the record was short, so that someone counts the shelf."""

from __future__ import annotations

from sqlmodel import Session

from oms.db import inventory, outbox
from oms.db.stock_updates import DeltaUpdate, apply_deltas
from oms.db.tables import InventoryPosition
from oms.domain.inbound import PosEvent, pos_moves
from oms.keys import pos_stock_event_id
from oms.logging import get_logger

log = get_logger(__name__)
DISCREPANCY = "inventory.discrepancy"


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
        short = _beyond_on_hand(session, event.location_id, deltas)
        apply_deltas(session, deltas)
        for sku, (on_hand, sold) in short.items():
            _discrepancy(session, sender, event_id, event, sku, on_hand, sold)
    session.flush()
    return moved


def _beyond_on_hand(
    session: Session, location_id: str, deltas: list[DeltaUpdate]
) -> dict[str, tuple[int, int]]:
    """The SKUs this sale takes more of than the store holds on hand: (on hand, sold); one
    line per SKU (``PosEvent``)."""
    short = {}
    for d in deltas:
        if d.delta < 0:
            position = session.get(InventoryPosition, (d.sku, location_id), with_for_update=True)
            on_hand = position.on_hand if position is not None else 0
            if -d.delta > on_hand:
                short[d.sku] = (on_hand, -d.delta)
    return short


def _discrepancy(
    session: Session, sender: str, event_id: str, event: PosEvent, sku: str, on_hand: int, sold: int
) -> None:
    outbox.emit(
        session,
        event_id=f"{DISCREPANCY}:{pos_stock_event_id(sender, event_id, sku)}",
        type=DISCREPANCY,
        order_id=None,
        payload={
            "location_id": event.location_id,
            "sku": sku,
            "recorded_on_hand": on_hand,
            "sold": sold,
            "shortfall": sold - on_hand,
            "source": "pos",
            "reference": event_id,
        },
    )
    log.warning(
        "pos_sale_beyond_on_hand",
        location_id=event.location_id,
        sku=sku,
        on_hand=on_hand,
        sold=sold,
        event_id=event_id,
    )
