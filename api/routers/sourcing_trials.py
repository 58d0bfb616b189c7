"""Trying a sourcing profile out before it is in force: on one order (simulate) or on the
last orders (a trial over past orders; POST /sourcing/replay). Nothing is reserved or
recorded: both run in a read-only transaction that is rolled back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from api.deps import DbDep, Principal, require
from api.errors import ApiError, error_responses
from api.routers.sourcing import Admin, invalid_profile
from api.views import as_utc
from oms.db import orders, profiles, sourcing
from oms.db import tables as t
from oms.domain.errors import DomainError, ErrorCode, FieldError
from oms.domain.order import OrderIn
from oms.domain.sourcing import Allocation, Demand
from oms.domain.sourcing.explain import SourcingExplanation
from oms.domain.sourcing.profiles import SourcingProfile, UnplacedAction, Version
from oms.domain.sourcing.trials import OrderTrial, PlanMetrics, TrialTotals, measure, totals
from oms.keys import profile_ref
from oms.services import order_intake
from oms.services import sourcing_trials as trials

router = APIRouter(prefix="/sourcing", tags=["sourcing"])

Analyst = Annotated[Principal, Depends(require("analyst"))]

TRIAL_SHOWN = 100  # changed orders listed by a trial; the totals count them all
DRAFT_ID = "draft"


class ProfileRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    version: Version


class SimulateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order: OrderIn | None = Field(
        default=None, description="An order as POST /orders takes it; or give order_id"
    )
    order_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="A stored order, simulated as it was placed; or give order",
    )
    profile: dict[str, Any] | None = Field(
        default=None, description="A profile document, without id/version, checked as a draft"
    )
    profile_ref: ProfileRef | None = Field(default=None, description="A stored version")


class PlanOut(BaseModel):
    strategy: str
    locations: list[str]
    allocations: list[Allocation]
    unplaced: list[Demand]
    unplaced_action: UnplacedAction = Field(description="What becomes of the unplaced units")


class AsSourced(BaseModel):
    profile: str = Field(description="The profile its first sourcing ran, e.g. 'default@v1'")
    strategy: str | None
    decided_at: datetime
    locations: list[str] | None = Field(
        description="Locations its first sourcing used; null: its allocations were not recorded"
    )
    allocations: list[Allocation] | None
    changed: bool | None = Field(
        description="Whether the simulated plan places the units otherwise; null: not known"
    )
    locations_added: list[str] = Field(description="Used by the simulated plan only")
    locations_dropped: list[str] = Field(description="Used by the first sourcing only")


class Simulation(BaseModel):
    order_id: str
    profile: str = Field(description="The profile that ran, e.g. 'central@v2' ('draft@v1')")
    profile_source: Literal["in_force", "document", "stored"]
    plan: PlanOut
    metrics: PlanMetrics = Field(description="Priced by the cost model of the profile that ran")
    explanation: SourcingExplanation
    as_sourced: AsSourced | None = Field(
        default=None,
        description="A stored order's first sourcing decision, to compare with the plan; "
        "null for an order given in full, or when none was recorded",
    )


class PastOrdersTrial(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: dict[str, Any] | None = Field(
        default=None, description="A profile document, without id/version, checked as a draft"
    )
    profile_ref: ProfileRef | None = Field(default=None, description="A stored version")
    last: int = Field(default=100, ge=1, le=1000, description="The newest orders tried")
    channel: str | None = Field(default=None, description="Only this channel's orders")


class PastOrdersResult(BaseModel):
    profile: str = Field(description="The draft tried")
    totals: TrialTotals
    skipped: int = Field(
        description="Orders left out: their stored body or their profile could not be read"
    )
    orders: list[OrderTrial] = Field(
        description=f"The changed orders, newest first, at most {TRIAL_SHOWN}"
    )
    more_changed: int = Field(description="Changed orders beyond the ones listed")


def _chosen(
    s: Session, document: dict[str, Any] | None, ref: ProfileRef | None
) -> tuple[SourcingProfile, Literal["document", "stored"]] | None:
    """The profile the request names: a document checked as a draft, a stored version, or
    None when it names none."""
    if document is not None and ref is not None:
        raise ApiError(
            ErrorCode.INVALID, "give a profile document or a profile_ref, not both", "profile"
        )
    if document is not None:
        try:
            return profiles.validate(document, profile_id=DRAFT_ID, version=1), "document"
        except profiles.InvalidProfile as exc:
            raise invalid_profile(exc, at="profile") from None
    if ref is not None:
        try:
            return profiles.of_row(profiles.get_row(s, ref.id, ref.version)), "stored"
        except DomainError as exc:  # a version the body names: the input's fault
            error = FieldError(field="profile_ref", code=exc.code, reason=exc.reason)
            raise ApiError.invalid([error]) from None
    return None


@router.post(
    "/simulate",
    response_model=Simulation,
    responses=error_responses(
        ErrorCode.UNKNOWN_SKU, in_body=[ErrorCode.PROFILE_NOT_FOUND, ErrorCode.ORDER_NOT_FOUND]
    ),
)
def simulate(body: SimulateBody, _: Analyst, db: DbDep) -> Any:
    """Sources the order as if it were placed now, reserving nothing: the same candidates as a
    real order (its channel's network, exclusions, safety stock, capacity; a collection from
    its store only) and the profile given, else the channel's profile in force. The order is
    given in full (`order`, one POST /orders would accept: 422 `unknown_sku` at
    `order.lines[i].sku` ...) or by the id of a stored order (`order_id`, 422
    `order_not_found` for an unknown one), which also answers how it was first sourced
    (`as_sourced`). Exactly one of the two: 422 `invalid` at `order_id` for both, `required`
    at `order` for neither."""
    with db.read_only() as s:
        order = _order_of(s, body)
        chosen = _chosen(s, body.profile, body.profile_ref)
        profile, source = chosen or (profiles.in_force(s, order.channel), "in_force")
        plan, cands, facts = trials.plan(s, order, profile, t.utcnow())
        first = sourcing.decisions(s, order.id)[:1] if body.order_id is not None else []
        as_sourced = _as_sourced(first[0], plan.allocations) if first else None
    assert plan.explanation is not None
    return Simulation(
        order_id=order.id,
        profile=profile.ref,
        profile_source=source,
        plan=PlanOut(
            strategy=plan.strategy,
            locations=plan.locations,
            allocations=plan.allocations,
            unplaced=plan.unplaced,
            unplaced_action=plan.unplaced_action,
        ),
        metrics=measure(plan, cands, facts.destination, profile),
        explanation=plan.explanation,
        as_sourced=as_sourced,
    )


def _order_of(s: Session, body: SimulateBody) -> OrderIn:
    """The order given in full (checked as POST /orders checks it) or the stored one named."""
    if body.order is not None and body.order_id is not None:
        raise ApiError(ErrorCode.INVALID, "give an order or an order_id, not both", "order_id")
    if body.order_id is not None:
        row = orders.get_order(s, body.order_id)
        if row is None:
            reason = f"no order {body.order_id}"
            raise ApiError.missing(ErrorCode.ORDER_NOT_FOUND, reason, "order_id", in_body=True)
        try:
            return OrderIn.model_validate(row.payload)
        except ValidationError:
            raise ApiError(
                ErrorCode.INVALID, "the stored order can no longer be read", "order_id"
            ) from None
    if body.order is None:
        raise ApiError(ErrorCode.REQUIRED, "give an order or an order_id", "order")
    problems = order_intake.problems(s, body.order)
    if problems:
        raise ApiError.invalid(
            [FieldError(field=f"order.{e.field}", code=e.code, reason=e.reason) for e in problems]
        )
    return body.order


def _as_sourced(decision: t.SourcingDecision, planned: list[Allocation]) -> AsSourced:
    """The first decision as recorded, and where the plan differs from it."""
    recorded = decision.explanation.get("allocations")
    try:
        allocations = None if recorded is None else [Allocation(**a) for a in recorded]
    except (TypeError, ValidationError):
        allocations = None
    now = sorted({a.location_id for a in planned})
    then = None if allocations is None else sorted({a.location_id for a in allocations})

    def key(xs: list[Allocation]) -> list[tuple[str, str, str, int]]:
        return sorted((a.location_id, a.line_id, a.sku, a.qty) for a in xs)

    return AsSourced(
        profile=profile_ref(decision.profile_id, decision.profile_version),
        strategy=decision.strategy,
        decided_at=as_utc(decision.created_at),
        locations=then,
        allocations=allocations,
        changed=None if allocations is None else key(allocations) != key(planned),
        locations_added=[x for x in now if then is not None and x not in then],
        locations_dropped=[x for x in then or [] if x not in now],
    )


@router.post(
    "/replay",
    response_model=PastOrdersResult,
    responses=error_responses(in_body=[ErrorCode.PROFILE_NOT_FOUND]),
)
def try_over_past_orders(body: PastOrdersTrial, _: Admin, db: DbDep) -> Any:
    """Runs a draft over the newest orders, reserving nothing: each order is planned with the
    profile it was sourced with (its first sourcing decision; the built-in default without
    one) and with the draft, on the same candidates. Stock as it was is not kept, so both
    plans see today's stock. Both are priced by the draft's cost model, so that costs
    compare. Answers the totals over every order and the changed orders."""
    with db.read_only() as s:
        chosen = _chosen(s, body.profile, body.profile_ref)
        if chosen is None:
            raise ApiError(
                ErrorCode.REQUIRED, "give a profile document or a profile_ref", "profile"
            )
        draft = chosen[0]
        rows, skipped = trials.over_past_orders(
            s, draft, last=body.last, channel=body.channel, now=t.utcnow()
        )
    changed = [r for r in rows if r.changed]
    return PastOrdersResult(
        profile=draft.ref,
        totals=totals(rows),
        skipped=skipped,
        orders=changed[:TRIAL_SHOWN],
        more_changed=max(0, len(changed) - TRIAL_SHOWN),
    )
