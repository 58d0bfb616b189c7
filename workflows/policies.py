"""Activity timeouts and retry policies, waits with a deadline, and the refusal of an update,
for the workflows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    FailureError,
    is_cancelled_exception,
)

with workflow.unsafe.imports_passed_through():
    pass

# Database steps: short, retried until the database is back (they are idempotent).
DB_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=30)
    ),
}

# Read-model and timeline writes run as local activities: no extra history events.
LOCAL_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=15),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10)
    ),
}

# Calls to payment gateways and carriers: bounded retries with backoff; business refusals
# are raised as non-retryable errors by the activities themselves.
EXTERNAL_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=1),
        maximum_attempts=10,
    ),
}

# Capturing and voiding settle what already happened (goods shipped, an order cancelled):
# giving up would leave money uncollected or a customer's funds held, so they retry until the
# gateway answers; refusals are non-retryable errors raised by the activities.
SETTLEMENT_ACTIVITY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=5),
    ),
}


async def call_service(
    activity: Any,
    arg: Any,
    *,
    options: dict[str, Any],
    summary: str,
    while_retrying: Callable[[], Awaitable[None]],
) -> Any:
    """Call an outside service (payment gateway, carrier) the cheap way first: one attempt as
    a local activity, one marker in the history and no round trip through the task queue. If
    that attempt fails with an error worth retrying (the service is down or slow), the run
    first shows it (``while_retrying``: the status, who it waits on) and then keeps trying as
    a regular activity under ``options``' retry policy: durable, and visible attempt by attempt
    in the UI. A refusal (a non-retryable error) is raised at once."""
    try:
        return await workflow.execute_local_activity(
            activity,
            arg,
            summary=summary,
            start_to_close_timeout=options["start_to_close_timeout"],
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
    except FailureError as err:
        if is_cancelled_exception(err):
            raise
        cause = err.cause if isinstance(err, ActivityError) else err
        if isinstance(cause, ApplicationError) and cause.non_retryable:
            raise
    await while_retrying()
    return await workflow.execute_activity(
        activity, arg, summary=f"{summary} (retrying)", **options
    )


async def condition_within(
    condition: Callable[[], bool], seconds: float, summary: str | None = None
) -> bool:
    """Wait for ``condition`` on a durable timer (named ``summary`` in the UI); False when the
    deadline passed first."""
    try:
        await workflow.wait_condition(
            condition, timeout=timedelta(seconds=max(seconds, 0.001)), timeout_summary=summary
        )
    except TimeoutError:
        return False
    return True
