"""Safety stock rules and exclusions (admin writes; integrations, storefronts and analysts read).

Rules are data: a change counts from the next ATP lookup, in every process (they are read on
every lookup, never cached). Which rule wins when several match is documented in
``oms.domain.safety``; what an exclusion keeps out, in ``oms.domain.availability.Exclusion``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from api.deps import DbDep, Principal, require
from api.errors import ApiError, error_responses, field_path, plain
from api.views import as_utc
from oms.db import tables as t
from oms.db.availability import exclusion_of, rule_of
from oms.domain.availability import Exclusion
from oms.domain.countries import country_problem
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.numbers import WholeNumber
from oms.domain.order import Identifier
from oms.domain.safety import LocationType, SafetyRule, SafetyScope

router = APIRouter(tags=["availability rules"])

Admin = Annotated[Principal, Depends(require())]
Reader = Annotated[Principal, Depends(require("integration", "storefront", "analyst"))]
Note = Annotated[str | None, Field(default=None, max_length=500)]


class RuleBody(BaseModel):
    """A rule without its id (the id is in the path of `PUT /safety-rules/{id}`)."""

    model_config = ConfigDict(extra="forbid")

    scope: SafetyScope
    quantity: WholeNumber | None = Field(default=None, ge=0, le=2**31 - 1)
    percent: float | None = Field(default=None, ge=0, le=100)
    sku: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=64)
    location_id: str | None = Field(default=None, max_length=64)
    vendor_id: str | None = Field(default=None, max_length=64)
    location_type: LocationType | None = None
    channel: str | None = Field(default=None, max_length=64)
    note: Note = None


class RuleIn(RuleBody):
    id: Identifier


class RulePublic(RuleIn):
    created_at: datetime
    updated_at: datetime


class ExclusionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str | None = Field(default=None, max_length=64)
    market: str | None = Field(default=None, max_length=16)
    sku: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=64)
    location_id: str | None = Field(default=None, max_length=64)
    note: Note = None


class ExclusionIn(ExclusionBody):
    id: Identifier


class ExclusionPublic(ExclusionIn):
    created_at: datetime


class RuleList(BaseModel):
    items: list[RulePublic]


class ExclusionList(BaseModel):
    items: list[ExclusionPublic]


def _domain_errors(exc: ValidationError) -> ApiError:
    errors = []
    for e in exc.errors():
        field = field_path(e["loc"]) or "body"
        reason = plain(str(e["msg"]))
        errors.append(FieldError(field=field, code=ErrorCode.INVALID, reason=reason))
    return ApiError.invalid(errors)


def _check_references(s: Session, values: dict[str, Any]) -> None:
    """A rule or exclusion naming something that does not exist would silently do nothing."""
    errors = []
    checks = (
        ("location_id", t.Location, ErrorCode.LOCATION_NOT_FOUND, "location"),
        ("channel", t.Channel, ErrorCode.CHANNEL_NOT_FOUND, "channel"),
        ("sku", t.Product, ErrorCode.UNKNOWN_SKU, "SKU"),
    )
    for field, table, code, what in checks:
        value = values.get(field)
        if value is not None and s.get(table, value) is None:
            errors.append(FieldError(field=field, code=code, reason=f"no {what} {value!r}"))
    market = values.get("market")
    if market is not None and (why := country_problem(market)) is not None:
        errors.append(FieldError(field="market", code=ErrorCode.UNKNOWN_MARKET, reason=why))
    category = values.get("category")
    if (
        category is not None
        and s.exec(select(t.Product.sku).where(t.Product.category == category).limit(1)).first()
        is None
    ):
        errors.append(
            FieldError(
                field="category", code=ErrorCode.INVALID, reason=f"no product in {category!r}"
            )
        )
    if errors:
        raise ApiError.invalid(errors)


def _validated_rule(s: Session, rule_id: str, body: RuleBody) -> SafetyRule:
    values = body.model_dump(exclude={"id", "note"}, exclude_none=True)
    try:
        rule = SafetyRule(id=rule_id, **values)
    except ValidationError as exc:
        raise _domain_errors(exc) from None
    _check_references(s, values)
    return rule


def _rule_public(row: t.SafetyRule) -> RulePublic:
    rule = rule_of(row)
    return RulePublic(
        **rule.model_dump(),
        note=row.note,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


@router.get("/safety-rules", response_model=RuleList)
def list_rules(
    _: Reader,
    db: DbDep,
    scope: SafetyScope | None = None,
    sku: str | None = None,
    location_id: str | None = None,
    channel: str | None = None,
) -> Any:
    """Every rule, or those of a scope, a SKU, a location or a channel."""
    stmt = select(t.SafetyRule).order_by(col(t.SafetyRule.id))
    for column, value in (
        (t.SafetyRule.scope, scope),
        (t.SafetyRule.sku, sku),
        (t.SafetyRule.location_id, location_id),
        (t.SafetyRule.channel, channel),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    with db.session() as s:
        return RuleList(items=[_rule_public(r) for r in s.exec(stmt)])


@router.post(
    "/safety-rules",
    status_code=201,
    response_model=RulePublic,
    responses=error_responses(ErrorCode.ALREADY_EXISTS),
)
def create_rule(body: RuleIn, response: Response, _: Admin, db: DbDep) -> Any:
    """A fixed `quantity` or a `percent` of on hand (rounded up) held back where the scope
    matches. Counts from the next ATP lookup."""
    with db.session() as s:
        if s.get(t.SafetyRule, body.id) is not None:
            raise ApiError(ErrorCode.ALREADY_EXISTS, f"rule {body.id} exists", "id")
        rule = _validated_rule(s, body.id, body)
        row = t.SafetyRule(**rule.model_dump(), note=body.note)
        s.add(row)
        s.flush()
        response.headers["Location"] = f"/safety-rules/{row.id}"
        return _rule_public(row)


@router.get(
    "/safety-rules/{rule_id}",
    response_model=RulePublic,
    responses=error_responses(ErrorCode.RULE_NOT_FOUND),
)
def get_rule(rule_id: str, _: Reader, db: DbDep) -> Any:
    with db.session() as s:
        return _rule_public(_rule_row(s, rule_id))


@router.put("/safety-rules/{rule_id}", response_model=RulePublic)
def replace_rule(rule_id: Identifier, body: RuleBody, _: Admin, db: DbDep) -> Any:
    """Replaces the whole rule (its scope too), or creates it."""
    with db.session() as s:
        rule = _validated_rule(s, rule_id, body)
        row = s.get(t.SafetyRule, rule_id) or t.SafetyRule(id=rule_id, scope=rule.scope)
        for field, value in rule.model_dump().items():
            setattr(row, field, value)
        row.note = body.note
        row.updated_at = t.utcnow()
        s.add(row)
        s.flush()
        return _rule_public(row)


@router.delete(
    "/safety-rules/{rule_id}", status_code=204, responses=error_responses(ErrorCode.RULE_NOT_FOUND)
)
def delete_rule(rule_id: str, _: Admin, db: DbDep) -> Response:
    with db.session() as s:
        s.delete(_rule_row(s, rule_id))
    return Response(status_code=204)


def _rule_row(s: Session, rule_id: str) -> t.SafetyRule:
    row = s.get(t.SafetyRule, rule_id)
    if row is None:
        raise ApiError(ErrorCode.RULE_NOT_FOUND, f"no safety rule {rule_id}", "rule_id")
    return row


def _exclusion_public(row: t.Exclusion) -> ExclusionPublic:
    return ExclusionPublic(
        **exclusion_of(row).model_dump(), note=row.note, created_at=as_utc(row.created_at)
    )


@router.get("/exclusions", response_model=ExclusionList)
def list_exclusions(
    _: Reader, db: DbDep, channel: str | None = None, market: str | None = None
) -> Any:
    stmt = select(t.Exclusion).order_by(col(t.Exclusion.id))
    if channel is not None:
        stmt = stmt.where(t.Exclusion.channel == channel)
    if market is not None:
        stmt = stmt.where(t.Exclusion.market == market)
    with db.session() as s:
        return ExclusionList(items=[_exclusion_public(r) for r in s.exec(stmt)])


@router.post(
    "/exclusions",
    status_code=201,
    response_model=ExclusionPublic,
    responses=error_responses(ErrorCode.ALREADY_EXISTS, ErrorCode.UNKNOWN_MARKET),
)
def create_exclusion(body: ExclusionIn, response: Response, _: Admin, db: DbDep) -> Any:
    """Keeps a SKU or category out of a channel or market (e.g. a category sold only in a
    new market), or a location from selling into a channel (for one product, if named).
    Counts from the next ATP lookup."""
    with db.session() as s:
        if s.get(t.Exclusion, body.id) is not None:
            raise ApiError(ErrorCode.ALREADY_EXISTS, f"exclusion {body.id} exists", "id")
        values = body.model_dump(exclude={"note"})
        try:
            exclusion = Exclusion(**values)
        except ValidationError as exc:
            raise _domain_errors(exc) from None
        _check_references(s, values)
        row = t.Exclusion(**exclusion.model_dump(), note=body.note)
        s.add(row)
        s.flush()
        response.headers["Location"] = f"/exclusions/{row.id}"
        return _exclusion_public(row)


@router.get(
    "/exclusions/{exclusion_id}",
    response_model=ExclusionPublic,
    responses=error_responses(ErrorCode.EXCLUSION_NOT_FOUND),
)
def get_exclusion(exclusion_id: str, _: Reader, db: DbDep) -> Any:
    with db.session() as s:
        return _exclusion_public(_exclusion_row(s, exclusion_id))


@router.delete(
    "/exclusions/{exclusion_id}",
    status_code=204,
    responses=error_responses(ErrorCode.EXCLUSION_NOT_FOUND),
)
def delete_exclusion(exclusion_id: str, _: Admin, db: DbDep) -> Response:
    with db.session() as s:
        s.delete(_exclusion_row(s, exclusion_id))
    return Response(status_code=204)


def _exclusion_row(s: Session, exclusion_id: str) -> t.Exclusion:
    row = s.get(t.Exclusion, exclusion_id)
    if row is None:
        raise ApiError(
            ErrorCode.EXCLUSION_NOT_FOUND, f"no exclusion {exclusion_id}", "exclusion_id"
        )
    return row
