"""Carrying out customer service's decision on a capture the gateway would not take: capture
it again on its authorization (``retry``), or authorize the amount afresh and capture it there
(``reauthorize``). One sequence for the order's run (a capture refused as its fulfilment ended,
``workflows/order_payments.py``) and for a capture the gateway reversed after the fact
(``workflows/payment_recovery.py``); each caller says how it calls the gateway (its keys, its
kind of activity) and records the answers its own way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from oms.domain.order.payment_recovery import PaymentAction


async def capture_again(
    action: PaymentAction,
    authorization_id: str | None,
    *,
    authorize: Callable[[], Awaitable[Any]],
    capture: Callable[[str], Awaitable[Any]],
    let_go: Callable[[str], Awaitable[None]],
    refused: Callable[[FailureError], bool] | None = None,
) -> Any:
    """The capture made again, or None when there is none (refused again, or no authorization
    to capture on).

    Args:
        action: ``retry`` or ``reauthorize`` (a write-off asks nothing of the gateway).
        authorization_id: what a retry captures on.
        authorize: a fresh authorization of the amount, or None when it was refused.
        capture: the capture on an authorization; a refusal raises ``FailureError``.
        let_go: void a fresh authorization whose capture was refused all the same (its hold
            on the card goes with it).
        refused: whether a capture's failure is the gateway's refusal; one that is not (the
            run cancelled, retries given up) lets go of a fresh authorization, then is raised.
            None (the order's run): every failure is taken for a refusal.
    """
    if action is PaymentAction.REAUTHORIZE:
        auth = await authorize()
        authorization_id = auth.authorization_id if auth is not None else None
    if authorization_id is None:
        return None
    try:
        return await capture(authorization_id)
    except FailureError as err:
        if refused is not None and not refused(err):
            if action is PaymentAction.REAUTHORIZE:
                await let_go(authorization_id)
            raise
        workflow.logger.info("capture refused again: %s", err)
    if action is PaymentAction.REAUTHORIZE:
        await let_go(authorization_id)
    return None
