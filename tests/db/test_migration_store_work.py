"""Migration 0016 on a database with work in progress: fulfilments open at upgrade time are
on their store's list of work like new ones, by the step they are at."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text

from oms.db.engine import make_engine
from oms.db.migrate import upgrade
from tests.db.test_migrations import empty_url  # noqa: F401  (the fixture)

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
PACK_DUE = "2026-12-07T11:00:00Z"
PICK_DUE = datetime(2026, 12, 7, 12, tzinfo=UTC)


def add(conn: object, fid: str, status: str, steps: list[dict[str, object]]) -> None:
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO fulfilments (id, order_id, location_id, workflow_id, status,"
            " delivery_method, lines, parcels, express, pick_due_at, steps, created_at,"
            " updated_at) VALUES (:fid, :fid, 'ST-1', :fid, :status, 'ship', '[]', '[]', false,"
            " :due, :steps, :now, :now)"
        ),
        {"fid": fid, "status": status, "steps": json.dumps(steps), "due": PICK_DUE, "now": NOW},
    )


def test_open_fulfilments_get_their_work_at_upgrade(empty_url: str) -> None:  # noqa: F811
    upgrade(empty_url, "0013")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        add(conn, "LEGACY-PICK", "AWAITING_PICK", [])
        add(conn, "LEGACY-PACKED", "PACKED", [])  # on its way to the carrier: nothing to do
        add(
            conn,
            "PACKING",
            "PICKED",
            [
                {"key": "pick", "type": "pick", "status": "done"},
                {"key": "pack", "type": "pack", "status": "active", "due_at": PACK_DUE},
            ],
        )
        add(conn, "GONE", "SHIPPED", [{"key": "pick", "type": "pick", "status": "done"}])
    engine.dispose()

    upgrade(empty_url)

    engine = make_engine(empty_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, work_kind, work_due_at FROM fulfilments ORDER BY id")
        ).all()
    engine.dispose()
    got = {fid: (kind, due is not None) for fid, kind, due in rows}
    assert got == {
        "GONE": (None, False),
        "LEGACY-PACKED": (None, False),
        "LEGACY-PICK": ("fulfilment_to_pick", True),
        "PACKING": ("fulfilment_to_pack", True),
    }
