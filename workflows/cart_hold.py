"""CartHoldWorkflow: frees a cart hold on time, on a durable timer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle

from oms.keys import cart_hold_workflow_id

with workflow.unsafe.imports_passed_through():
    from oms.contracts.cart_holds import HoldDue, HoldState
    from oms.domain.cart_holds import HoldStatus
    from workflows import calls
    from workflows.policies import DB_ACTIVITY, condition_within

# Each wake-up is a few history events; a cart extended all day long starts afresh now and then.
WAKES_PER_RUN = 100


class HoldTimer(BaseModel):
    cart_id: str
    expires_at: datetime


@workflow.defn
class CartHoldWorkflow:
    """Sleep until the hold's deadline, then expire it if it is still held and due.

    Signal: ``rearm(HoldTimer)``, sent with every PUT of the hold (signal-with-start): the
    timer wakes at the earliest deadline it was told of. The database has the last word: at
    each wake-up the activity expires the hold only if its stored deadline has passed, and a
    hold extended since puts the workflow back to sleep until its new deadline. Query:
    ``deadline``. Returns the hold's state once it is no longer held.
    """

    @workflow.init
    def __init__(self, inp: HoldTimer) -> None:
        self._due: datetime | None = inp.expires_at

    @workflow.run
    async def run(self, inp: HoldTimer) -> HoldState:
        for _ in range(WAKES_PER_RUN):
            await self._sleep_until_due()
            # Deadlines signalled while the activity runs are kept; the stored one joins them.
            self._due = None
            state = await workflow.execute_activity(
                calls.expire_cart_hold,
                HoldDue(cart_id=inp.cart_id, now=workflow.now()),
                summary="free the hold if its time is up",
                **DB_ACTIVITY,
            )
            if state.status is not HoldStatus.HELD or state.expires_at is None:
                if self._due is None:
                    return state
                # A new PUT of the cart came in while this hold ended: time the new hold. The
                # code that shipped this (9d8aaf0) had no patch, and the code before it never
                # shipped: the marker is deprecated, so runs with it and without it replay.
                workflow.deprecate_patch("time-hold-put-while-expiring")
                continue
            self._earliest(state.expires_at)
        assert self._due is not None
        workflow.continue_as_new(HoldTimer(cart_id=inp.cart_id, expires_at=self._due))
        raise AssertionError("continue_as_new does not return")

    async def _sleep_until_due(self) -> None:
        while True:
            due = self._due
            assert due is not None
            left = (due - workflow.now()).total_seconds()
            if left <= 0 or not await condition_within(
                self._moved_from(due), left, "the hold's deadline"
            ):
                return

    def _moved_from(self, due: datetime) -> Callable[[], bool]:
        return lambda: self._due != due

    def _earliest(self, at: datetime) -> None:
        self._due = at if self._due is None else min(self._due, at)

    @workflow.signal
    def rearm(self, timer: HoldTimer) -> None:
        self._earliest(timer.expires_at)

    @workflow.query
    def deadline(self) -> datetime | None:
        return self._due


async def arm_hold_timer(
    client: Client, task_queue: str, cart_id: str, at: datetime
) -> WorkflowHandle[CartHoldWorkflow, HoldState]:
    """Start the cart's timer, or tell the running one about the new deadline."""
    timer = HoldTimer(cart_id=cart_id, expires_at=at)
    return await client.start_workflow(
        CartHoldWorkflow.run,
        timer,
        id=cart_hold_workflow_id(cart_id),
        task_queue=task_queue,
        start_signal="rearm",
        start_signal_args=[timer],
        static_summary=f"cart hold {cart_id}",
        static_details=(
            f"Frees the units held for cart `{cart_id}` when its time runs out (first deadline "
            f"{at:%Y-%m-%d %H:%M:%S} UTC); each change of the cart moves the deadline "
            "(signal `rearm`), and the query `deadline` tells the current one."
        ),
    )
