from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from oms.db.engine import make_engine
from oms.db.migrate import downgrade, upgrade
from tests.conftest import PG_URL, new_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("OMS_TEST_DATABASE_URL is not set")
    with new_database(tmp_path, postgresql=request.param == "postgresql") as url:
        yield url


def test_migrations_build_exactly_the_tables_the_code_uses(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_migrations_downgrade_to_nothing_and_up_again(empty_url: str) -> None:
    upgrade(empty_url)
    downgrade(empty_url, "base")
    engine = make_engine(empty_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(empty_url)
    engine = make_engine(empty_url)
    assert "reservations" in inspect(engine).get_table_names()
    engine.dispose()


def test_positions_keep_room_for_updates_in_place_on_postgresql(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        if engine.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL storage parameter")
        with engine.connect() as conn:
            options = conn.execute(
                text("SELECT reloptions FROM pg_class WHERE relname = 'inventory_positions'")
            ).scalar_one()
        assert options == ["fillfactor=80"]
    finally:
        engine.dispose()
    downgrade(empty_url, "0005")
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        options = conn.execute(
            text("SELECT reloptions FROM pg_class WHERE relname = 'inventory_positions'")
        ).scalar_one()
    engine.dispose()
    assert options is None
