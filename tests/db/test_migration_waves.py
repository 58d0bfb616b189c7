"""Migration 0012 on a database with work in progress: fulfilments open at upgrade time are
ordered in waves like new ones, by their pick task's deadline and their order's express."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text

from oms.db.engine import make_engine
from oms.db.migrate import upgrade
from tests.db.test_migrations import empty_url  # noqa: F401  (the fixture)

DUE = datetime(2026, 12, 7, 11, tzinfo=UTC)
NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


def add_order(conn: object, order_id: str, express: bool) -> None:
    payload = {"id": order_id, "delivery": {"method": "ship", "express": express}}
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO orders (id, channel, customer_id, customer_tier, status, currency,"
            " total, line_count, delivery_method, fingerprint, payload, fulfilment_locations,"
            " created_at, updated_at) VALUES (:id, 'web', 'C1', 'standard', 'IN_FULFILMENT',"
            " 'EUR', 100, 1, 'ship', 'f', :payload, '[]', :now, :now)"
        ),
        {"id": order_id, "payload": json.dumps(payload), "now": NOW},
    )
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO fulfilments (id, order_id, location_id, workflow_id, status,"
            " delivery_method, lines, parcels, created_at, updated_at) VALUES (:fid, :id,"
            " 'ST-1', :wf, 'AWAITING_PICK', 'ship', '[]', '[]', :now, :now)"
        ),
        {"fid": f"{order_id}.F1", "id": order_id, "wf": f"fulfilment-{order_id}.F1", "now": NOW},
    )


def test_open_fulfilments_get_their_pick_deadline_and_express_at_upgrade(
    empty_url: str,  # noqa: F811
) -> None:
    upgrade(empty_url, "0009")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        add_order(conn, "O-EXP", express=True)
        add_order(conn, "O-STD", express=False)
        conn.execute(
            text(
                "INSERT INTO manual_tasks (id, kind, status, order_id, workflow_id, location_id,"
                " escalated, due_at, payload, created_at) VALUES ('pick-O-STD.F1', 'pick',"
                " 'open', 'O-STD', 'fulfilment-O-STD.F1', 'ST-1', false, :due, '{}', :now)"
            ),
            {"due": DUE, "now": NOW},
        )
    engine.dispose()

    upgrade(empty_url)

    engine = make_engine(empty_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, express, pick_due_at, wave_id FROM fulfilments ORDER BY id")
        ).all()
    engine.dispose()
    got = [(fid, bool(express), due is not None, wave) for fid, express, due, wave in rows]
    assert got == [("O-EXP.F1", True, False, None), ("O-STD.F1", False, True, None)]
