"""The browser tests' shared stack, browser and screenshots, one of each per test file."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel
from temporalio.testing import WorkflowEnvironment

from oms.db.availability import forget_topology
from oms.db.engine import Database
from tests.console.pages import CHROMIUM, SHOTS
from tests.console.stack import SCREENSHOTS, Stack, serving


@pytest.fixture(scope="module")
def console_db(pg_database: Database | None, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One database for the file (the stack serves every test of it)."""
    forget_topology()
    if pg_database is not None:
        names = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
        with pg_database.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        yield pg_database
        return
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('console') / 'oms.db'}")
    SQLModel.metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
async def stack(dev_env: WorkflowEnvironment, console_db: Database) -> AsyncIterator[Stack]:
    async with serving(dev_env, console_db) as served:
        yield served


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        launched = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        await launched.close()


@pytest.fixture(scope="module", autouse=True)
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Where the screenshots go: docs/console/ when OMS_CONSOLE_SCREENSHOTS=1 asks to refresh
    them (their ids and times change at every run, so a plain run leaves the docs alone)."""
    refresh = os.environ.get("OMS_CONSOLE_SCREENSHOTS") == "1"
    SHOTS.append(SCREENSHOTS if refresh else tmp_path_factory.mktemp("screenshots"))
    yield
    SHOTS.pop()
