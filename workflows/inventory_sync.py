"""InventorySyncWorkflow: apply a staged inventory snapshot, best sellers first, in chunks."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from oms.contracts.inventory_sync import ApplyChunks, SyncFailure, SyncRef
    from oms.domain.snapshots import SyncInput, SyncProgress, SyncStatus
    from oms.temporal import SYNC_PROGRESS
    from workflows import calls
    from workflows.policies import DB_ACTIVITY

# A run of chunks is one activity: a few dozen activities for a million rows keep the history
# small, and the heartbeat after each chunk lets a retry resume where the last attempt was.
# Retried through a database outage of about half an hour, then the sync fails: a chunk that
# keeps failing must not leave it running for ever.
CHUNK_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=30),
    "heartbeat_timeout": timedelta(seconds=60),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(milliseconds=200),
        maximum_interval=timedelta(seconds=30),
        maximum_attempts=60,
    ),
}
# Finishing zeroes and deletes in bulk: longer than a single-row step.
FINISH_ACTIVITY: dict[str, Any] = {**DB_ACTIVITY, "start_to_close_timeout": timedelta(minutes=10)}


@workflow.defn
class InventorySyncWorkflow:
    """Plan the staged rows into chunks (best sellers first), apply them run by run, then
    finish (zero what a full snapshot left out, drop the staged rows).

    Query: ``progress`` (``SyncProgress``). Search attribute ``SyncProgress``: percent of
    chunks applied, kept current after each run. A failure marks the sync failed with the
    error, then fails the workflow. Returns the final ``SyncProgress``.
    """

    @workflow.init
    def __init__(self, inp: SyncInput) -> None:
        self._progress = SyncProgress(sync_id=inp.sync_id, status=SyncStatus.STAGED)

    @workflow.run
    async def run(self, inp: SyncInput) -> SyncProgress:
        ref = SyncRef(sync_id=inp.sync_id)
        try:
            self._update(
                await workflow.execute_activity(
                    calls.plan_sync, ref, summary="plan the chunks", **DB_ACTIVITY
                )
            )
            if self._progress.status is not SyncStatus.RUNNING:
                return self._progress
            total, width = self._progress.chunks_total, inp.parallel
            # Each wave spreads its chunks over the runs in turn (run j takes j, j + width,
            # ...), so chunks still go in about their best-sellers-first order.
            span = inp.chunks_per_activity * width
            for first in range(0, total, span):
                last = min(first + span, total)
                runs = [
                    workflow.execute_activity(
                        calls.apply_sync_chunks,
                        ApplyChunks(sync_id=inp.sync_id, first=j, last=last, step=width),
                        summary=f"apply chunks {j}..{last - 1} step {width} of {total}",
                        **CHUNK_ACTIVITY,
                    )
                    for j in range(first, min(first + width, last))
                ]
                done = await asyncio.gather(*runs)
                self._update(max(done, key=lambda p: p.chunks_done))
            self._update(
                await workflow.execute_activity(
                    calls.finish_sync,
                    ref,
                    summary="finish: apply the missing-positions policy, close the sync",
                    **FINISH_ACTIVITY,
                )
            )
            return self._progress
        except (Exception, asyncio.CancelledError) as exc:
            # Not BaseException: a worker evicting this run from its cache is no failure.
            if isinstance(exc, asyncio.CancelledError):
                error = "cancelled"
            else:
                error = str(exc.cause) if isinstance(exc, ActivityError) and exc.cause else str(exc)
            workflow.logger.warning(
                "inventory_sync_failed", extra={"sync_id": inp.sync_id, "error": error}
            )
            # Runs even when this workflow is being cancelled: the sync must not stay running.
            failed = await asyncio.shield(
                asyncio.ensure_future(
                    workflow.execute_activity(
                        calls.fail_sync,
                        SyncFailure(sync_id=inp.sync_id, error=error or type(exc).__name__),
                        summary="record the failure",
                        **DB_ACTIVITY,
                    )
                )
            )
            self._update(failed)
            raise

    def _update(self, progress: SyncProgress) -> None:
        self._progress = progress
        workflow.upsert_search_attributes([SYNC_PROGRESS.value_set(progress.percent)])

    @workflow.query
    def progress(self) -> SyncProgress:
        return self._progress
