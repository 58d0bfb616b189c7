"""Cart holds free themselves on time: CartHoldWorkflow in the time-skipping test server."""

from __future__ import annotations

import asyncio
import uuid

from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from oms.contracts.cart_holds import HoldState
from oms.db import cart_holds
from oms.db.engine import Database
from oms.db.tables import CartHold
from oms.domain.cart_holds import HoldStatus
from oms.services.cart_holds import place
from tests.factories import seed
from tests.holds import add_channel, ask, assert_ledger_matches_positions, reserved
from tests.workflows.harness import Harness, running
from tests.workflows.record_other_histories import PausingHolds, worker
from tests.workflows.record_other_histories import until as wait_for
from workflows.cart_hold import CartHoldWorkflow, arm_hold_timer


async def hold(
    env: WorkflowEnvironment, db: Database, cart_id: str, ttl: int, tees: int = 2
) -> CartHold:
    """A hold placed now on the test server's clock, which runs ahead of the wall clock."""
    now = await env.get_current_time()
    with db.session() as s:
        request = ask({"SKU-TEE": tees}, ttl=ttl)
        return place(s, cart_id=cart_id, request=request, now=now)


async def arm(
    env: WorkflowEnvironment, h: Harness, row: CartHold
) -> WorkflowHandle[CartHoldWorkflow, HoldState]:
    """What PUT /carts/{id}/hold does once the hold is stored."""
    return await arm_hold_timer(env.client, h.task_queue, row.id, cart_holds.as_utc(row.expires_at))


def new_cart() -> str:
    # The time-skipping server lives for the whole session: a workflow id per test.
    return f"C-{uuid.uuid4().hex[:10]}"


async def test_an_unextended_hold_frees_its_stock_when_its_ttl_runs_out(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    add_channel(db)
    async with running(time_env.client, db) as h:
        handle = await arm(time_env, h, await hold(time_env, db, new_cart(), ttl=60))
        await time_env.sleep(50)
        held_before = reserved(db, "SKU-TEE", "ST-OPERA")
        state = await handle.result()

    assert held_before == 2
    assert state.status is HoldStatus.EXPIRED
    assert reserved(db, "SKU-TEE", "ST-OPERA") == 0
    assert_ledger_matches_positions(db)


async def test_a_re_put_pushes_the_deadline_and_the_timer_follows(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    add_channel(db)
    cart = new_cart()
    async with running(time_env.client, db) as h:
        handle = await arm(time_env, h, await hold(time_env, db, cart, ttl=60))
        await time_env.sleep(30)
        # The storefront extends the cart: the same lines for 10 more minutes.
        await arm(time_env, h, await hold(time_env, db, cart, ttl=600))
        await time_env.sleep(120)
        still = (await handle.describe()).status
        held_meanwhile = reserved(db, "SKU-TEE", "ST-OPERA")
        state = await handle.result()

    assert still is WorkflowExecutionStatus.RUNNING
    assert held_meanwhile == 2
    assert state.status is HoldStatus.EXPIRED
    assert reserved(db, "SKU-TEE", "ST-OPERA") == 0


async def test_a_shorter_ttl_on_a_re_put_brings_the_expiry_forward(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    add_channel(db)
    cart = new_cart()
    async with running(time_env.client, db) as h:
        handle = await arm(time_env, h, await hold(time_env, db, cart, ttl=3600))
        # Other lines and a shorter TTL: a new hold in place of the old one.
        second = await hold(time_env, db, cart, ttl=60, tees=1)
        await arm(time_env, h, second)
        await time_env.sleep(90)
        freed = reserved(db, "SKU-TEE", "ST-OPERA")
        state = await handle.result()

    assert freed == 0
    assert state.status is HoldStatus.EXPIRED
    assert state.expires_at == cart_holds.as_utc(second.expires_at)


async def test_a_released_hold_ends_its_timer_without_touching_the_stock_again(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    add_channel(db)
    cart = new_cart()
    async with running(time_env.client, db) as h:
        handle = await arm(time_env, h, await hold(time_env, db, cart, ttl=300))
        with db.session() as s:
            cart_holds.release(s, cart, await time_env.get_current_time())
        # Another cart takes the units the first one let go, for a day.
        await hold(time_env, db, f"{cart}-2", ttl=86_400, tees=5)
        state = await handle.result()

    assert state.status is HoldStatus.RELEASED
    assert reserved(db, "SKU-TEE", "ST-OPERA") == 5
    assert_ledger_matches_positions(db)


async def test_a_timer_wakes_early_at_most_once_per_extension(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    add_channel(db)
    cart = new_cart()
    async with running(time_env.client, db) as h:
        handle = await arm(time_env, h, await hold(time_env, db, cart, ttl=60))
        await arm(time_env, h, await hold(time_env, db, cart, ttl=120))
        await arm(time_env, h, await hold(time_env, db, cart, ttl=180))
        state = await handle.result()
        wakes = [
            e
            async for e in handle.fetch_history_events()
            if e.HasField("activity_task_scheduled_event_attributes")
        ]

    assert state.status is HoldStatus.EXPIRED
    # At the first deadline it was told of, then at the stored one.
    assert len(wakes) == 2


async def test_a_new_put_landing_while_the_old_hold_expires_is_timed_in_turn(
    time_env: WorkflowEnvironment, db: Database
) -> None:
    # The expiry has ended the old hold, and before it answers the storefront puts the cart
    # again: the timer goes on with the new hold instead of ending and leaving it untimed.
    seed(db, {("SKU-TEE", "ST-OPERA"): 5})
    add_channel(db)
    cart = new_cart()
    holds = PausingHolds(db)
    async with worker(time_env.client, CartHoldWorkflow, [holds.expire_cart_hold]) as queue:
        now = await time_env.get_current_time()
        with db.session() as s:
            row = place(s, cart_id=cart, request=ask({"SKU-TEE": 2}, ttl=60), now=now)
        handle = await arm_hold_timer(
            time_env.client, queue, cart, cart_holds.as_utc(row.expires_at)
        )
        holds.pause = True
        sleeping = asyncio.create_task(time_env.sleep(61))
        await wait_for(holds.reached.is_set)
        again = await hold(time_env, db, cart, ttl=300)
        await arm_hold_timer(time_env.client, queue, cart, cart_holds.as_utc(again.expires_at))
        holds.go.set()
        await sleeping
        holds.pause = False
        running_after_the_first_expiry = (await handle.describe()).status
        held_meanwhile = reserved(db, "SKU-TEE", "ST-OPERA")
        state = await handle.result()

    assert running_after_the_first_expiry is WorkflowExecutionStatus.RUNNING
    assert held_meanwhile == 2
    assert state.status is HoldStatus.EXPIRED
    assert reserved(db, "SKU-TEE", "ST-OPERA") == 0
    assert_ledger_matches_positions(db)
