"""Asking for a return: the policy's checks, the return's row, and its run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlmodel import Session
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy

from oms.contracts.returns import ReturnInput, ReturnLine
from oms.db import reason_codes as reason_repo
from oms.db import refund_claims
from oms.db import returns as return_repo
from oms.db.engine import Database
from oms.db.tables import Location, Order, ReturnRow
from oms.domain import reason_codes as reasons
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.order import OrderIn
from oms.domain.reason_codes import ReasonUsage
from oms.domain.returns import (
    ReturnMethod,
    ReturnRequest,
    ReturnStatus,
    all_returned,
    refusals,
    shipping_refund,
)
from oms.services import exchanges
from oms.temporal import ORDER_ID, start_once
from workflows.patch_levels import starting_level
from workflows.returns import ReturnWorkflow, return_workflow_id


class ReturnRefused(Exception):
    """The request breaks these rules (each names its field)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.reason for e in errors))
        self.errors = errors


def _refusals(s: Session, body: ReturnRequest, order: Order, now: datetime) -> list[FieldError]:
    errors: list[FieldError] = []
    reason = reasons.refusal(
        reason_repo.get(s, body.reason_code),
        body.reason_code,
        ReasonUsage.RETURN_REQUEST,
        "reason_code",
    )
    if reason is not None:
        errors.append(reason)
    location = s.get(Location, body.location_id)
    if location is None:
        errors.append(
            FieldError(
                field="location_id",
                code=ErrorCode.LOCATION_NOT_FOUND,
                reason=f"no location {body.location_id}",
            )
        )
    elif body.method is ReturnMethod.IN_STORE and location.type != "store":
        errors.append(
            FieldError(
                field="location_id",
                code=ErrorCode.INVALID,
                reason=f"an in-store return comes back at a store, not a {location.type}",
            )
        )
    policy = return_repo.policy_for(s, order.channel)
    return errors + refusals(body, return_repo.line_facts(s, order), policy, now)


def create_return(
    db: Database,
    order_id: str,
    body: ReturnRequest,
    *,
    sees: Callable[[str], bool] = lambda _: True,
    now: datetime | None = None,
) -> tuple[ReturnRow, ReturnInput, OrderIn | None]:
    """Check the request and store the return (and an exchange's replacement order); what
    its run starts with, and the replacement order to start after it. The order's row is
    locked meanwhile, so two returns asked at once cannot both take the same units.

    Raises:
        DomainError: no such order (or not one ``sees`` lets the caller see, by channel).
        ReturnRefused: the rules it breaks.
    """
    with db.session() as s:
        order = refund_claims.locked_order(s, order_id, sees)
        now = now or datetime.now(UTC)
        errors = _refusals(s, body, order, now)
        if errors:
            raise ReturnRefused(errors)
        placed = OrderIn.model_validate(order.payload)
        policy = return_repo.policy_for(s, order.channel)
        shipping = shipping_refund(
            policy,
            reason_code=body.reason_code,
            shipping=placed.shipping_amount,
            already_refunded=return_repo.shipping_refunded(s, order_id),
            all_returned=all_returned(body, return_repo.line_facts(s, order)),
        )
        lines = [
            ReturnLine(
                line_id=asked.line_id,
                sku=placed.line(asked.line_id).sku,
                quantity=asked.quantity,
                unit_price=placed.line(asked.line_id).unit_price,
            )
            for asked in body.lines
        ]
        return_id = return_repo.next_id(s, order_id)
        replacement, deal = None, None
        if body.exchange:
            try:
                replacement, deal = exchanges.exchange_order(s, placed, return_id, body)
            except exchanges.ExchangeRefused as exc:
                raise ReturnRefused(exc.errors) from exc
        row = ReturnRow(
            id=return_id,
            order_id=order_id,
            channel=order.channel,
            status=ReturnStatus.AWAITING_RECEIPT.value,
            method=body.method.value,
            location_id=body.location_id,
            reason_code=body.reason_code,
            currency=order.currency,
            lines=[line.model_dump() for line in lines],
            shipping_refund=shipping,
            exchange_order_id=replacement.id if replacement else None,
        )
        s.add(row)
        s.flush()
        if replacement is not None and deal is not None:
            exchanges.store(s, replacement, received_at=now)
        inp = ReturnInput(
            return_id=row.id,
            order_id=order_id,
            channel=order.channel,
            customer_tier=placed.customer.tier.value,
            currency=order.currency,
            method=body.method,
            location_id=body.location_id,
            reason_code=body.reason_code,
            lines=lines,
            policy=policy,
            sender=placed.delivery.address if body.method is ReturnMethod.BY_CARRIER else None,
            shipping_refund=shipping,
            exchange_order_id=replacement.id if replacement else None,
            exchange_credit=deal.credit if deal else 0,
        )
    return row, inp, replacement


def withdraw(db: Database, return_id: str) -> None:
    """A return whose run could not be started: kept, ``WITHDRAWN`` (its units free again,
    its id never given twice), and its exchange's replacement order removed. A run that did
    start after all finds its row withdrawn and ends (activities.returns)."""
    with db.session() as s:
        row = s.get(ReturnRow, return_id)
        if row is None:
            return
        row.status = ReturnStatus.WITHDRAWN.value
        row.completed_at = row.updated_at = datetime.now(UTC)
        s.add(row)
        if row.exchange_order_id is not None:
            exchanges.forget(s, row.exchange_order_id)


async def start_return(
    client: Client, task_queue: str, inp: ReturnInput, *, patch_level: int, tries: int = 3
) -> None:
    """Start the return's run, once whatever happens: a start that timed out may have started
    it on the server, so it is asked again, and "already started" is taken for a start (return
    ids are never given twice, so that run is this return's). ``patch_level``: the configured
    one (``OMS_PATCH_LEVEL``, workflows/patch_levels.py).

    Raises:
        RPCError, RuntimeError: Temporal could not be reached ``tries`` times.
    """
    inp = inp.model_copy(update={"patch_level": starting_level(patch_level)})
    await start_once(lambda: _start(client, task_queue, inp), tries=tries)


async def _start(client: Client, task_queue: str, inp: ReturnInput) -> None:
    units = sum(line.quantity for line in inp.lines)
    await client.start_workflow(
        ReturnWorkflow.run,
        inp,
        id=return_workflow_id(inp.return_id),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary=(
            f"return {inp.return_id} · {units} units · {inp.method.value} at {inp.location_id}"
        ),
        static_details=(
            f"Return of order `{inp.order_id}` ({inp.reason_code}): waits for the parcel at "
            f"{inp.location_id}, then its quality control (a `return_qc` task), then refunds."
        ),
        search_attributes=TypedSearchAttributes([SearchAttributePair(ORDER_ID, inp.order_id)]),
    )
