"""Trying a sourcing profile out before it is in force: on one order (simulate) or on the
last orders (a trial over past orders; POST /sourcing/replay). Nothing is reserved or
recorded: both run in a read-only transaction that is rolled back.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.deps import DbDep, Principal, require
from api.errors import ApiError, error_responses
from api.routers.sourcing import Admin, invalid_profile
from oms.db import profiles
from oms.db import tables as t
from oms.domain.errors import DomainError, ErrorCode, FieldError
from oms.domain.order import OrderIn
from oms.domain.sourcing import Allocation, Demand
from oms.domain.sourcing.explain import SourcingExplanation
from oms.domain.sourcing.profiles import SourcingProfile, UnplacedAction, Version
from oms.domain.sourcing.trials import OrderTrial, PlanMetrics, TrialTotals, measure, totals
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

    order: OrderIn = Field(description="An order as POST /orders takes it")
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


class Simulation(BaseModel):
    profile: str = Field(description="The profile that ran, e.g. 'central@v2' ('draft@v1')")
    profile_source: Literal["in_force", "document", "stored"]
    plan: PlanOut
    metrics: PlanMetrics = Field(description="Priced by the cost model of the profile that ran")
    explanation: SourcingExplanation


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
        except DomainError as exc:
            raise ApiError.refused(exc, "profile_ref") from None
    return None


@router.post(
    "/simulate",
    response_model=Simulation,
    responses=error_responses(ErrorCode.PROFILE_NOT_FOUND, ErrorCode.UNKNOWN_SKU),
)
def simulate(body: SimulateBody, _: Analyst, db: DbDep) -> Any:
    """Sources the order as if it were placed now, reserving nothing: the same candidates as a
    real order (its channel's network, exclusions, safety stock, capacity; a collection from
    its store only) and the profile given, else the channel's profile in force. The order must
    be one POST /orders would accept (422 `unknown_sku` at `order.lines[i].sku` ...)."""
    order = body.order
    with db.read_only() as s:
        problems = order_intake.problems(s, order)
        if problems:
            raise ApiError.invalid(
                [
                    FieldError(field=f"order.{e.field}", code=e.code, reason=e.reason)
                    for e in problems
                ]
            )
        chosen = _chosen(s, body.profile, body.profile_ref)
        profile, source = chosen or (profiles.in_force(s, order.channel), "in_force")
        plan, cands, facts = trials.plan(s, order, profile, t.utcnow())
    assert plan.explanation is not None
    return Simulation(
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
    )


@router.post(
    "/replay",
    response_model=PastOrdersResult,
    responses=error_responses(ErrorCode.PROFILE_NOT_FOUND),
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
