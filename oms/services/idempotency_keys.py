"""Forgetting the Idempotency-Keys callers used, once they are kept no longer: a use older than
``OMS_IDEMPOTENCY_KEYS_KEPT`` already counts as unused (oms.db.idempotency_keys), and the
worker's sweep deletes its row so that the table holds about a day of keys."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from oms.config import Settings
from oms.db import idempotency_keys
from oms.db.engine import Database
from oms.logging import get_logger
from oms.services.sweeps import every

log = get_logger(__name__)
SWEEP_EVERY = timedelta(hours=1)


def forget_expired(db: Database, settings: Settings, *, now: datetime | None = None) -> int:
    """Delete every use older than ``OMS_IDEMPOTENCY_KEYS_KEPT``; how many."""
    now = now or datetime.now(UTC)
    with db.session() as s:
        return idempotency_keys.forget(s, before=now - settings.idempotency_keys_kept)


async def sweep_idempotency_keys(db: Database, settings: Settings) -> None:
    """Run ``forget_expired`` every hour, for ever; a round that cannot reach the database is
    logged and tried again at the next."""

    async def one_round() -> None:
        forgotten = await asyncio.to_thread(forget_expired, db, settings)
        if forgotten:
            log.info("idempotency_keys_forgotten", count=forgotten)

    await every(SWEEP_EVERY, one_round, "idempotency_key_sweep")
