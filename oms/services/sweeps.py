"""The worker's sweeps: one round of work, again and again, for ever."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from oms.logging import get_logger

log = get_logger(__name__)


async def every(period: timedelta, one_round: Callable[[], Awaitable[object]], name: str) -> None:
    """Run ``one_round`` every ``period``; a round that fails (Temporal or the database away)
    is logged as ``<name>_failed`` and tried again at the next."""
    while True:
        try:
            await one_round()
        except Exception as err:
            log.warning(f"{name}_failed", error=str(err))
        await asyncio.sleep(period.total_seconds())
