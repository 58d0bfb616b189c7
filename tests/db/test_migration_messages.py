"""Migration 0024: customers are not written to about what happened before the messages
existed (every event already in the outbox counts as looked at), new events are; and back."""

from __future__ import annotations

from sqlalchemy import inspect, text

from oms.db.engine import make_engine
from oms.db.migrate import downgrade, upgrade
from tests.db.test_migrations import empty_url  # noqa: F401  (the fixture)


def test_events_already_written_make_no_message_and_new_ones_wait_for_theirs(
    empty_url: str,  # noqa: F811
) -> None:
    upgrade(empty_url, "0023")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO outbox_events (id, type, order_id, payload, created_at) VALUES"
                " ('old', 'order.cancelled', 'A1', '{}', '2026-12-01 10:00:00+00')"
            )
        )
    engine.dispose()

    upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO outbox_events (id, type, order_id, payload, created_at) VALUES"
                " ('new', 'order.cancelled', 'A2', '{}', '2026-12-08 10:00:00+00')"
            )
        )
        waiting = conn.execute(text("SELECT id FROM outbox_events WHERE messaged_at IS NULL")).all()
        columns = {c["name"] for c in inspect(conn).get_columns("channels")}
    engine.dispose()
    downgrade(empty_url, "0023")
    engine = make_engine(empty_url)
    tables = set(inspect(engine).get_table_names())
    outbox = {c["name"] for c in inspect(engine).get_columns("outbox_events")}
    engine.dispose()

    assert [r[0] for r in waiting] == ["new"]
    assert "locale" in columns
    assert "customer_messages" not in tables
    assert "messaged_at" not in outbox
