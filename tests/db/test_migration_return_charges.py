"""Migration 0025: returns stored before it refund no shipping and placed no exchange."""

from __future__ import annotations

from sqlalchemy import inspect, text

from oms.db.engine import make_engine
from oms.db.migrate import downgrade, upgrade
from tests.db.test_migrations import empty_url  # noqa: F401  (the fixture)


def test_a_stored_return_refunds_no_shipping_and_has_no_exchange(empty_url: str) -> None:  # noqa: F811
    upgrade(empty_url, "0023")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO returns (id, order_id, channel, status, method, location_id,"
                " reason_code, currency, lines, received, grades, refund_state, refunded,"
                " created_at, updated_at) VALUES ('O1.R1', 'O1', 'web', 'COMPLETED',"
                " 'in_store', 'ST', 'changed_mind', 'EUR', '[]', '[]', '[]', 'refunded', 1999,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()

    upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT shipping_refund, exchange_order_id, refunded FROM returns")
        ).one()
    engine.dispose()
    downgrade(empty_url, "0023")
    engine = make_engine(empty_url)
    columns = {c["name"] for c in inspect(engine).get_columns("returns")}
    engine.dispose()

    assert tuple(row) == (0, None, 1999)
    assert "shipping_refund" not in columns
    assert "exchange_order_id" not in columns
