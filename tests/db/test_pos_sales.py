"""A till's sales and returns (POST /webhooks/pos) move the store's stock as any stock move
does: the ATP watcher sees them and emits the stock events their channel's figure crosses."""

from __future__ import annotations

from datetime import UTC, datetime

from oms.db.engine import Database
from oms.db.tables import InventoryPosition
from oms.domain.inbound import PosEvent
from oms.services.pos_sales import apply_pos_event
from tests.db.test_atp_watch import Watcher, events
from tests.factories import seed
from tests.holds import add_channel

AT = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)


def till(type_: str, *lines: tuple[str, int, bool]) -> PosEvent:
    return PosEvent.model_validate(
        {
            "type": type_,
            "location_id": "ST-OPERA",
            "occurred_at": AT,
            "lines": [{"sku": s, "quantity": q, "resellable": r} for s, q, r in lines],
        }
    )


def position(db: Database, sku: str) -> tuple[int, int]:
    with db.reading() as s:
        row = s.get(InventoryPosition, (sku, "ST-OPERA"))
        assert row is not None
        return row.on_hand, row.quarantined


def test_a_sale_that_empties_the_store_and_a_return_each_make_their_stock_event(
    db: Database,
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 2})
    add_channel(db, low_stock=0)
    watcher = Watcher(db)
    watcher.run()

    with db.session() as s:
        apply_pos_event(
            s, sender="pos:opera", event_id="s1", event=till("sale", ("SKU-TEE", 2, True))
        )
    watcher.run()
    with db.session() as s:
        apply_pos_event(
            s,
            sender="pos:opera",
            event_id="r1",
            event=till("return", ("SKU-TEE", 1, True), ("SKU-TEE", 1, False)),
        )
    watcher.run()

    assert position(db, "SKU-TEE") == (1, 1)
    assert [(t, p["atp"]) for t, p in events(db)] == [
        ("inventory.out_of_stock", 0),
        ("inventory.back_in_stock", 1),
    ]


def test_the_same_lines_of_one_event_move_stock_once(db: Database) -> None:
    seed(db, {("SKU-MUG", "ST-OPERA"): 5})
    sale = till("sale", ("SKU-MUG", 2, True))

    for _ in range(2):
        with db.session() as s:
            apply_pos_event(s, sender="pos:opera", event_id="s2", event=sale)
    with db.session() as s:
        apply_pos_event(s, sender="pos:bastille", event_id="s2", event=sale)

    assert position(db, "SKU-MUG") == (1, 0)  # another till's event of the same id counts
