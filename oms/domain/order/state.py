"""The order as an aggregate: its status, lines, payment, fulfilments and timeline, and every
rule of its life as a pure method.

The order workflow holds one ``OrderState`` and keeps only what Temporal does for it (timers,
activities, child workflows, signals and updates); whatever it learns it hands to a method
here, which decides and records. The API builds the view of an order it cannot query from the
same class (``OrderState.restored``). Times are passed in, never read: the workflow passes
``workflow.now()``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from oms.domain.fraud import FraudAssessment, FraudDecision, FraudReviewDecision, ReviewDecision
from oms.domain.fulfilment import (
    FulfilmentLine,
    FulfilmentProgress,
    FulfilmentStatus,
    FulfilmentView,
)
from oms.domain.order.collection import CollectionRules
from oms.domain.order.edit_rules import EditRules
from oms.domain.order.lines import LineBook
from oms.domain.order.model import OrderIn
from oms.domain.order.payment import PaymentRules
from oms.domain.order.policy import OrderPolicy
from oms.domain.order.status import CancelReason, OrderStatus
from oms.domain.order.views import (
    FraudView,
    FulfilmentSummary,
    OrderView,
    PaymentView,
    TimelineEntry,
)
from oms.domain.sourcing.models import Demand, SourcingPlan
from oms.domain.sourcing.profiles import UnplacedAction
from oms.keys import fulfilment_id, order_workflow_id, reroute_step, stock_step

_WAITS = (UnplacedAction.BACKORDER, UnplacedAction.HOLD)


class OrderState(PaymentRules, CollectionRules, EditRules):
    """One order's state and rules. Every method that changes it records what happened in
    the timeline, with the time and actor it is given."""

    def __init__(self, order: OrderIn, received_at: datetime, policy: OrderPolicy) -> None:
        self.order = order
        self.received_at = received_at
        self.policy = policy
        self.status = OrderStatus.RECEIVED
        self.status_since = received_at
        self.cancel_reason: CancelReason | None = None
        self.book = LineBook(order.lines)
        self.fraud: FraudView | None = None
        self.review: FraudReviewDecision | None = None
        self.payment = PaymentView(currency=order.currency)
        self.fulfilments: dict[str, FulfilmentSummary] = {}
        self.timeline: list[TimelineEntry] = []
        self.updated_at = received_at
        self.recorded = 0  # timeline entries already in the read model
        self.excluded: set[str] = set()  # locations that failed this order
        self.reroutes = 0
        self.settled: set[str] = set()
        self.shorts_handled: set[str] = set()
        self.reported_shorts: dict[str, list[Demand]] = {}
        # Units the profile backorders or holds, waiting for stock since awaiting_since.
        self.awaiting: list[Demand] = []
        self.awaiting_since: datetime | None = None
        self.stock_tries = 0

    @classmethod
    def restored(
        cls,
        order: OrderIn,
        *,
        status: OrderStatus,
        received_at: datetime,
        updated_at: datetime,
        cancel_reason: CancelReason | None = None,
        timeline: list[TimelineEntry] | None = None,
    ) -> OrderState:
        """What the read model knows of an order whose workflow cannot be asked (just placed,
        or long finished): its lines as ordered, nothing fulfilled that this caller knows of."""
        state = cls(order, received_at, OrderPolicy())
        state.status = status
        state.cancel_reason = cancel_reason
        if status is OrderStatus.CANCELLED:
            # A cancelled order shipped nothing (a cancel is refused once anything has).
            state.cancelled(cancel_reason or CancelReason.OTHER)
        state.timeline = list(timeline or [])
        state.updated_at = updated_at
        return state

    # -- timeline ------------------------------------------------------------------------

    def log(
        self,
        type_: str,
        actor: str,
        at: datetime,
        detail: dict[str, Any] | None = None,
        status: OrderStatus | None = None,
    ) -> None:
        self.updated_at = at
        self.timeline.append(
            TimelineEntry(at=at, type=type_, status=status, actor=actor, detail=detail or {})
        )

    def set_status(
        self,
        status: OrderStatus,
        type_: str,
        actor: str,
        at: datetime,
        detail: dict[str, Any] | None = None,
    ) -> None:
        if status is not self.status:
            self.status_since = at
        self.status = status
        self.log(type_, actor, at, detail, status=status)

    def unrecorded(self) -> list[tuple[int, TimelineEntry]]:
        """Timeline entries the read model has not stored yet, with their positions."""
        return list(enumerate(self.timeline))[self.recorded :]

    def mark_recorded(self) -> None:
        self.recorded = len(self.timeline)

    @property
    def fulfilment_locations(self) -> list[str]:
        return sorted({f.location_id for f in self.fulfilments.values()})

    @property
    def fraud_decision(self) -> str | None:
        """The decision that stands: the analyst's if there was a review, else the rules'."""
        if self.fraud is None:
            return None
        return (self.fraud.review_decision or self.fraud.decision).value

    # -- fraud ---------------------------------------------------------------------------

    def fraud_assessed(self, result: FraudAssessment, at: datetime) -> FraudDecision:
        self.fraud = FraudView(
            score=result.score,
            decision=result.decision,
            reasons=[r.model_dump() for r in result.reasons],
        )
        self.log(
            "fraud_assessed",
            "fraud_rules",
            at,
            {
                "score": result.score,
                "decision": result.decision.value,
                "reasons": [r.code for r in result.reasons],
            },
        )
        return result.decision

    def review_task_payload(self) -> dict[str, Any]:
        return {
            "score": self.fraud.score if self.fraud else None,
            "reasons": self.fraud.reasons if self.fraud else [],
            "total": self.order.total,
            "currency": self.order.currency,
        }

    def receive_review(self, decision: FraudReviewDecision) -> None:
        """An analyst's decision, kept even before the order records that it waits for one
        (the task is visible as soon as it is stored); the first one stands."""
        if self.review is None and not self.status.is_final:
            self.review = decision

    def review_decided(self, at: datetime) -> bool:
        """Record the analyst's decision; True when it rejects the order."""
        review = self.review
        assert review is not None
        assert self.fraud is not None
        self.fraud.reviewed_by = review.actor
        self.fraud.review_decision = review.decision
        self.fraud.review_reason = review.reason
        self.log(
            "fraud_review_decided",
            review.actor,
            at,
            {"decision": review.decision.value, "reason": review.reason},
        )
        return review.decision is ReviewDecision.REJECT

    # -- sourcing and waiting for stock ----------------------------------------------------

    def sourced(self, plan: SourcingPlan, step: str, at: datetime) -> None:
        """A sourcing step's plan: what it placed is reserved; what it could not place waits
        for stock if the profile says so, else is cancelled as out of stock."""
        self.book.reserve(plan.allocations)
        if plan.unplaced and plan.unplaced_action in _WAITS:
            self.awaiting.extend(plan.unplaced)
            if self.awaiting_since is None:
                self.awaiting_since = at
            self.log(
                "awaiting_stock",
                "sourcing",
                at,
                {
                    "action": plan.unplaced_action.value,
                    "units": [d.model_dump() for d in plan.unplaced],
                },
            )
        else:
            for d in plan.unplaced:
                self.book.cancel_units(d.line_id, d.qty, CancelReason.OUT_OF_STOCK)
        self.log(
            "sourced",
            "sourcing",
            at,
            {
                "step": step,
                "strategy": plan.strategy,
                "locations": plan.locations,
                "unplaced": [d.model_dump() for d in plan.unplaced],
            },
        )

    def stock_deadline(self) -> datetime:
        assert self.awaiting_since is not None
        return self.awaiting_since + timedelta(seconds=self.policy.stock_wait_s)

    def seconds_to_next_stock_try(self, at: datetime) -> float:
        """Until the next try at placing the waiting units, never past the end of the wait."""
        left = (self.stock_deadline() - at).total_seconds()
        return max(1.0, min(self.policy.stock_retry_s, left))

    def take_awaiting(self) -> tuple[list[Demand], str]:
        """The units still waiting, handed over to be sourced again, and that try's step."""
        waiting, self.awaiting = self.awaiting, []
        self.stock_tries += 1
        return waiting, stock_step(self.stock_tries)

    def give_up_waiting(self, at: datetime) -> None:
        """Past the end of the wait, what still waits is cancelled as out of stock."""
        if self.awaiting and at >= self.stock_deadline():
            self.log(
                "stock_wait_over",
                "sourcing",
                at,
                {"units": [d.model_dump() for d in self.awaiting]},
            )
            for d in self.awaiting:
                self.book.cancel_units(d.line_id, d.qty, CancelReason.OUT_OF_STOCK)
            self.awaiting = []

    # -- fulfilment ----------------------------------------------------------------------

    def next_fulfilment_id(self) -> str:
        return fulfilment_id(self.order.id, len(self.fulfilments) + 1)

    def fulfilment_started(self, fid: str, location_id: str) -> None:
        """Shown only once the child exists, so that whoever reads the status can act on it."""
        self.fulfilments[fid] = FulfilmentSummary(
            fulfilment_id=fid, location_id=location_id, status=FulfilmentStatus.AWAITING_PICK
        )

    def fulfilment_cancelled(self, fid: str) -> None:
        """A child ended without shipping anything (cancelled with the order, or failed)."""
        summary = self.fulfilments[fid]
        if not summary.status.is_final:
            summary.status = FulfilmentStatus.CANCELLED
            self.book.progress(fid, FulfilmentStatus.CANCELLED, {})

    def open_fulfilments(self) -> list[str]:
        return [f.fulfilment_id for f in self.fulfilments.values() if not f.status.is_final]

    def progress(self, p: FulfilmentProgress) -> None:
        """A fulfilment moved on. Once picked, what it could not pick is reported, to be
        sourced again while the rest is packed and shipped."""
        summary = self.fulfilments.get(p.fulfilment_id)
        if summary is None:
            return
        summary.status = p.status
        summary.tracking_number = p.tracking_number or summary.tracking_number
        summary.carrier = p.carrier or summary.carrier
        self.book.progress(
            p.fulfilment_id, p.status, p.picked, p.cancel_short, p.collected, p.cancelled_for
        )
        if p.status is FulfilmentStatus.PICKED and p.fulfilment_id not in self.shorts_handled:
            shorts = self.book.shorts(p.fulfilment_id)
            if shorts:
                self.reported_shorts[p.fulfilment_id] = shorts

    def take_reported_shorts(self) -> list[tuple[str, list[Demand]]]:
        taken = [(f, s) for f, s in self.reported_shorts.items() if f not in self.shorts_handled]
        self.reported_shorts = {}
        return taken

    def failed_fulfilment(self, fid: str, error: str, at: datetime) -> FulfilmentView:
        """A child that failed (the carrier refused the address) or that ops cancelled shipped
        nothing: its units go back to sourcing like a rejection."""
        summary = self.fulfilments[fid]
        self.log(
            "fulfilment_failed", summary.location_id, at, {"fulfilment_id": fid, "error": error}
        )
        lines = [
            FulfilmentLine(line_id=a.line_id, sku=a.sku, quantity=a.qty, picked=0)
            for a in self.book.allocations_of(fid)
        ]
        return FulfilmentView(
            fulfilment_id=fid,
            order_id=self.order.id,
            location_id=summary.location_id,
            status=FulfilmentStatus.REJECTED,
            delivery_method=self.order.delivery.method,
            lines=lines,
        )

    def fulfilment_ended(self, view: FulfilmentView, at: datetime) -> int:
        """A fulfilment is over: record it; answers the amount to capture for it."""
        self.settled.add(view.fulfilment_id)
        self.progress(FulfilmentProgress.of(view))
        fid = view.fulfilment_id
        if view.status is FulfilmentStatus.NOT_COLLECTED:
            return self.fulfilment_not_collected(view, at)
        if not view.status.has_left_the_building:  # emptied: an edit took every unit
            kind = "emptied" if view.status is FulfilmentStatus.CANCELLED else "rejected"
            self.log(f"fulfilment_{kind}", view.location_id, at, {"fulfilment_id": fid})
            return 0
        self.log(
            f"fulfilment_{view.status.value.lower()}",
            view.location_id,
            at,
            {"fulfilment_id": fid, "tracking": view.tracking_number},
        )
        return self.capture_amount(view)

    def shorts_after(self, fid: str) -> list[Demand]:
        """What an ended fulfilment did not pick and nobody has sourced again yet."""
        return [] if fid in self.shorts_handled else self.book.shorts(fid)

    def reroute(self, fid: str, shorts: list[Demand], *, cancelling: bool) -> str | None:
        """Source what a location could not pick once more, elsewhere: answers the step, or
        None when the re-routes allowed are used up (or the order is being cancelled), in
        which case those units are cancelled as short-picked."""
        self.shorts_handled.add(fid)
        self.excluded.add(self.fulfilments[fid].location_id)
        if self.reroutes >= self.policy.max_reroutes or cancelling:
            for d in shorts:
                self.book.cancel_units(d.line_id, d.qty, CancelReason.SHORT_PICK)
            return None
        self.reroutes += 1
        return reroute_step(self.reroutes)

    # -- the end -------------------------------------------------------------------------

    def nothing_shipped(self) -> bool:
        return self.book.shipped_units() == 0

    def cancelled(self, reason: CancelReason) -> None:
        self.book.cancel_rest(reason)
        self.cancel_reason = reason

    def view(self) -> OrderView:
        return OrderView(
            order_id=self.order.id,
            workflow_id=order_workflow_id(self.order.id),
            status=self.status,
            cancel_reason=self.cancel_reason,
            channel=self.order.channel,
            customer_id=self.order.customer.id,
            customer_tier=self.order.customer.tier.value,
            currency=self.order.currency,
            total=self.order.total,
            shipping=self.order.shipping,
            exchange_of=self.order.exchange.return_id if self.order.exchange else None,
            delivery_method=self.order.delivery.method.value,
            store_id=self.order.delivery.store_id,
            lines=self.book.views(),
            fraud=self.fraud,
            payment=self.payment,
            fulfilments=list(self.fulfilments.values()),
            timeline=self.timeline,
            created_at=self.received_at,
            updated_at=self.updated_at,
        )
