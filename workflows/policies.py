"""Activity timeouts and retry policies, and waits with a deadline, for the workflows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

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


async def condition_within(condition: Callable[[], bool], seconds: float) -> bool:
    """Wait for ``condition`` on a durable timer; False when the deadline passed first."""
    try:
        await workflow.wait_condition(condition, timeout=timedelta(seconds=max(seconds, 0.001)))
    except TimeoutError:
        return False
    return True
