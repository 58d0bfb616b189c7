"""The Idempotency-Keys callers used: a key is held to the request it was first used for, per
caller, until it is kept no longer; the worker's sweep then deletes it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from oms.config import Settings
from oms.db import idempotency_keys
from oms.db.engine import Database
from oms.db.idempotency_keys import FirstUse
from oms.db.tables import IdempotencyKey
from oms.services.idempotency_keys import forget_expired
from tests.conftest import PG_URL

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
CANCEL = "POST /orders/{order_id}/lines/{line_id}/cancel"


def _claim(
    db: Database, fingerprint: str, *, scope: str = "k1", at: datetime = NOW
) -> FirstUse | None:
    with db.session() as s:
        return idempotency_keys.claim(
            s, scope=scope, key="call-42", fingerprint=fingerprint, request=CANCEL, now=at, kept=DAY
        )


def test_a_key_is_held_to_its_first_request_for_its_caller_only(db: Database) -> None:
    first = _claim(db, "a")
    again = _claim(db, "a", at=NOW + timedelta(hours=1))
    other = _claim(db, "b", at=NOW + timedelta(hours=1))
    other_caller = _claim(db, "b", scope="k2")

    assert (first, again) == (None, None)
    assert other == FirstUse(request=CANCEL, at=NOW)
    assert other_caller is None


def test_a_key_kept_no_longer_is_free_for_another_request(db: Database) -> None:
    _claim(db, "a")

    still_held = _claim(db, "b", at=NOW + DAY - timedelta(seconds=1))
    taken_again = _claim(db, "b", at=NOW + DAY)
    first_now_refused = _claim(db, "a", at=NOW + DAY + timedelta(hours=1))

    assert still_held is not None
    assert taken_again is None
    assert first_now_refused == FirstUse(request=CANCEL, at=NOW + DAY)


def test_the_sweep_deletes_only_the_keys_kept_no_longer(db: Database) -> None:
    _claim(db, "a", scope="old")
    _claim(db, "a", scope="fresh", at=NOW + timedelta(hours=2))
    settings = Settings(idempotency_keys_kept=DAY)

    forgotten = forget_expired(db, settings, now=NOW + DAY + timedelta(hours=1))
    again = forget_expired(db, settings, now=NOW + DAY + timedelta(hours=1))

    assert (forgotten, again) == (1, 0)
    with db.reading() as s:
        assert [row.scope for row in s.exec(select(IdempotencyKey))] == ["fresh"]


@pytest.mark.skipif(not PG_URL, reason="a lock wait PostgreSQL shows (OMS_TEST_DATABASE_URL)")
def test_a_first_use_that_commits_while_another_waits_to_insert_the_key_holds_it(
    db: Database,
) -> None:
    # The first request has taken the key, not committed; the second looked, found nothing,
    # and waits on the key's row. Once the first commits, the second is told of it.
    first = db.session()
    s1 = first.__enter__()
    assert (
        idempotency_keys.claim(
            s1, scope="k1", key="call-42", fingerprint="f1", request=CANCEL, now=NOW, kept=DAY
        )
        is None
    )
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(_claim, db, "f2")
        _until_a_lock_wait(db)
        first.__exit__(None, None, None)
        told = second.result(timeout=30)

    assert told == FirstUse(CANCEL, NOW)


def _until_a_lock_wait(db: Database) -> None:
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    for _ in range(600):
        with db.engine.connect() as c:
            if c.execute(waiting).scalar():
                return
        time.sleep(0.05)
    raise AssertionError("the second request never waited on the key")
