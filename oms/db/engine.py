"""Engine and sessions for SQLite (the embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlmodel import Session


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself (below) instead of pysqlite's deferred BEGIN.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: two writers then queue on busy_timeout
        # instead of one failing with "database is locked" when it upgrades a read lock.
        # Reads (Database.reading) take no transaction and no lock at all.
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """The engine plus a session factory; one per process."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, **kwargs)
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        # SQLite has one writer at a time. Writers of this process queue here, in order and
        # handed over at once, rather than in SQLite's busy handler, which polls with sleeps of
        # up to 100 ms; other processes still meet SQLite's lock (busy_timeout). Re-entrant: a
        # thread that opens a second session meets SQLite's own lock as before.
        self._writer: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if self.is_sqlite else contextlib.nullcontext()
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self._writer, Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for lookups that write nothing: no transaction, so no BEGIN and COMMIT
        round trips and, on SQLite, no write lock; each statement reads committed data."""
        with Session(self._autocommit, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def read_only(self) -> Iterator[Session]:
        """A session whose work is always rolled back; on PostgreSQL a write fails outright
        (sourcing trials: plan as a real order would, keep nothing)."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                if not self.is_sqlite:
                    session.execute(text("SET TRANSACTION READ ONLY"))
                yield session
            finally:
                session.rollback()

    def dispose(self) -> None:
        self.engine.dispose()
