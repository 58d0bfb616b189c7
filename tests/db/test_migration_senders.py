"""Migration 0026: senders registered before kinds get the kind their id names, and no
locations; the payment ledger gains the times of the gateway's notices."""

from __future__ import annotations

import json

from sqlalchemy import inspect, text

from oms.db.engine import make_engine
from oms.db.migrate import downgrade, upgrade
from tests.db.test_migrations import empty_url  # noqa: F401  (the fixture)


def test_senders_get_the_kind_their_id_names(empty_url: str) -> None:  # noqa: F811
    upgrade(empty_url, "0023")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO webhook_senders (id, secret, created_at) VALUES"
                " ('carrier:simcarrier', 's1', CURRENT_TIMESTAMP),"
                " ('payments', 's2', CURRENT_TIMESTAMP),"
                " ('wms', 's3', CURRENT_TIMESTAMP),"
                " ('pos', 's4', CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()

    upgrade(empty_url, "0026")
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, kind, locations FROM webhook_senders ORDER BY id"))
        kinds = {i: (k, json.loads(loc) if isinstance(loc, str) else loc) for i, k, loc in rows}
        ledger = {c["name"] for c in inspect(conn).get_columns("payment_ledger")}
    engine.dispose()
    downgrade(empty_url, "0023")
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        after = {c["name"] for c in inspect(conn).get_columns("webhook_senders")}
    engine.dispose()

    assert kinds == {
        "carrier:simcarrier": ("carrier", []),
        "payments": ("payment_gateway", []),
        "pos": ("pos", []),
        "wms": ("wms", []),
    }
    assert {"confirmed_at", "reversed_at"} <= ledger
    assert not {"kind", "locations"} & after
