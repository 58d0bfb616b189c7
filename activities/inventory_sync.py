"""Applying a staged inventory sync, as activities: plan, apply a run of chunks, finish, fail.

Each is idempotent on the sync id (+ chunk): a chunk's marker is written with its rows, so a
retried or resumed run skips what is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio import activity
from temporalio.exceptions import ApplicationError

from oms.contracts.inventory_sync import ApplyChunks, SyncFailure, SyncRef
from oms.db import bulk
from oms.db.engine import Database
from oms.db.tables import utcnow
from oms.domain.errors import DomainError
from oms.domain.snapshots import SyncProgress
from oms.logging import get_logger

log = get_logger(__name__)


class InventorySyncActivities:
    def __init__(self, db: Database) -> None:
        self.db = db

    @activity.defn
    def plan_sync(self, req: SyncRef) -> SyncProgress:
        with self.db.session() as s, _refusals():
            planned = bulk.plan(s, req.sync_id, utcnow())
        log.info("inventory_sync_planned", sync_id=req.sync_id, chunks=planned.chunks_total)
        return planned

    @activity.defn
    def apply_sync_chunks(self, req: ApplyChunks) -> SyncProgress:
        """Apply the chunks in order, heartbeating the last one done; a retry starts after
        the last chunk its previous attempt reported (and skips any it finished since)."""
        start = req.first
        details = activity.info().heartbeat_details
        if details:
            start = max(start, int(details[0]) + req.step)
        for chunk in range(start, req.last, req.step):
            self._apply(req.sync_id, chunk)
            activity.heartbeat(chunk)
        with self.db.session() as s, _refusals():
            return bulk.progress(s, req.sync_id)

    def _apply(self, sync_id: str, chunk: int) -> None:
        with self.db.session() as s, _refusals():
            if not bulk.apply_chunk(s, sync_id, chunk, utcnow()):
                log.info("inventory_sync_chunk_skipped", sync_id=sync_id, chunk=chunk)

    @activity.defn
    def finish_sync(self, req: SyncRef) -> SyncProgress:
        with self.db.session() as s, _refusals():
            done = bulk.finish(s, req.sync_id, utcnow())
        log.info(
            "inventory_sync_completed",
            sync_id=req.sync_id,
            applied=done.applied,
            stale=done.stale,
            zeroed=done.zeroed,
            rejected=done.rejected,
        )
        return done

    @activity.defn
    def fail_sync(self, req: SyncFailure) -> SyncProgress:
        with self.db.session() as s, _refusals():
            failed = bulk.fail(s, req.sync_id, req.error, utcnow())
        log.warning("inventory_sync_failed", sync_id=req.sync_id, error=req.error)
        return failed


@contextmanager
def _refusals() -> Iterator[None]:
    """A business refusal (unknown sync, sync not running) will not heal on a retry."""
    try:
        yield
    except DomainError as exc:
        raise ApplicationError(exc.reason, non_retryable=True, type=exc.code.value) from exc
