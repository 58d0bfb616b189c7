"""Load and store reason codes (``oms.domain.reason_codes``)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from oms.db.tables import ReasonCodeRow, utcnow
from oms.domain.reason_codes import (
    BUILT_IN,
    BUILT_IN_BY_CODE,
    ReasonCode,
    ReasonUsage,
    RoutingEffect,
    StockEffect,
)


def _model(row: ReasonCodeRow) -> ReasonCode:
    return ReasonCode(
        code=row.code,
        label=row.label,
        usages=[ReasonUsage(u) for u in row.usages],
        stock_effect=StockEffect(row.stock_effect),
        routing_effect=RoutingEffect(row.routing_effect),
        customer_message=row.customer_message,
        active=row.active,
        built_in=row.built_in,
    )


def get(session: Session, code: str) -> ReasonCode | None:
    row = session.get(ReasonCodeRow, code)
    return None if row is None else _model(row)


def list_codes(session: Session, *, usage: ReasonUsage | None = None) -> list[ReasonCode]:
    """Every code, active or not, by code; with ``usage``, those that may be used there. The
    table holds tens of codes: the usage is filtered here, not in a JSON query per dialect."""
    rows = session.exec(select(ReasonCodeRow).order_by(col(ReasonCodeRow.code)))
    codes = [_model(r) for r in rows]
    return [c for c in codes if usage is None or usage in c.usages]


def resolve(session: Session, codes: Iterable[str]) -> dict[str, ReasonCode]:
    """The codes as stored; one the table lacks (a database made before the taxonomy, or not
    seeded) is read from the built-in set, so it keeps the meaning it had then."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.exec(select(ReasonCodeRow).where(col(ReasonCodeRow.code).in_(wanted)))
    found = {r.code: _model(r) for r in rows}
    for code in wanted:
        if code not in found and code in BUILT_IN_BY_CODE:
            found[code] = BUILT_IN_BY_CODE[code]
    return found


def put(session: Session, code: ReasonCode) -> bool:
    """Create or replace a code (active again); True when it is new."""
    row = session.get(ReasonCodeRow, code.code)
    created = row is None
    if row is None:
        row = ReasonCodeRow(code=code.code, label=code.label, usages=[], stock_effect="none",
                            routing_effect="none", built_in=code.built_in)  # fmt: skip
    row.label = code.label
    row.usages = [u.value for u in code.usages]
    row.stock_effect = code.stock_effect.value
    row.routing_effect = code.routing_effect.value
    row.customer_message = code.customer_message
    row.active = True
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return created


def deactivate(session: Session, code: str) -> bool:
    row = session.get(ReasonCodeRow, code)
    if row is None:
        return False
    row.active, row.updated_at = False, utcnow()
    session.add(row)
    session.flush()
    return True


def seed_built_in(session: Session) -> int:
    """Add the built-in codes the table lacks; an admin's changes to the others stay."""
    have = set(session.exec(select(ReasonCodeRow.code)))
    added = [c for c in BUILT_IN if c.code not in have]
    for c in added:
        put(session, c)
    return len(added)
