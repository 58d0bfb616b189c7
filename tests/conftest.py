"""Shared fixtures: a database (SQLite, or PostgreSQL when OMS_TEST_DATABASE_URL is set) and
the Temporal servers from the installed binaries (nothing is downloaded)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlmodel import SQLModel
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

import oms.db.tables  # noqa: F401  (registers the tables)
from oms.db.availability import forget_topology
from oms.db.engine import Database, normalize_url
from oms.devserver import find_binary
from oms.temporal import SEARCH_ATTRIBUTE_FLAGS, ensure_search_attributes

PG_URL = os.environ.get("OMS_TEST_DATABASE_URL")


def worker_database_url(url: str, worker: str | None) -> str:
    """The database of one pytest-xdist worker: ``<name>_<worker>`` on the same server, made
    when missing, so parallel workers never truncate each other's tables."""
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@contextmanager
def new_database(tmp_path: Path, *, postgresql: bool) -> Iterator[str]:
    """The URL of a database with nothing in it (not even tables), dropped afterwards: a
    SQLite file, or a new database on the PostgreSQL server of OMS_TEST_DATABASE_URL."""
    if not postgresql:
        yield f"sqlite:///{tmp_path / 'new.db'}"
        return
    assert PG_URL, "OMS_TEST_DATABASE_URL is not set"
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    name = f"oms_new_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{normalize_url(PG_URL).rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[Database | None]:
    if not PG_URL:
        yield None
        return
    db = Database(worker_database_url(PG_URL, os.environ.get("PYTEST_XDIST_WORKER")))
    SQLModel.metadata.drop_all(db.engine)
    SQLModel.metadata.create_all(db.engine)
    yield db
    db.dispose()


@pytest.fixture
def db(pg_database: Database | None, tmp_path: Path) -> Iterator[Database]:
    """An empty database for one test."""
    forget_topology()  # channels cached for ATP by an earlier test's database
    if pg_database is not None:
        names = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
        with pg_database.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        yield pg_database
        return
    database = Database(f"sqlite:///{tmp_path / 'oms.db'}")
    SQLModel.metadata.create_all(database.engine)
    yield database
    database.dispose()


# One time-skipping server per test file: a run or an activity one file leaves in flight holds
# the server's clock, and every later test that needs time to pass would wait for ever ("Timeout
# expired"). Which files share a server depended on their order, which pytest-xdist changes.
@pytest.fixture(scope="module")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await ensure_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=[],
        dev_server_extra_args=[
            arg
            for name, kind in SEARCH_ATTRIBUTE_FLAGS.items()
            for arg in ("--search-attribute", f"{name}={kind}")
        ],
    )
    yield env
    await env.shutdown()
