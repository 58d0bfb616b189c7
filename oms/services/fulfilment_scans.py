"""Scanning a fulfilment's units for its step under way (a scan_each pick, a verify), and
what its pick and its verify take from those scans.

The domain decides (``oms.domain.fulfilment_scans``); this loads the fulfilment's row and its
scans and stores a scan that counts, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from oms.db import catalogue, scans
from oms.db.tables import Fulfilment
from oms.domain import fulfilment_scans as rules
from oms.domain.errors import DomainError, ErrorCode, FieldError
from oms.domain.fulfilment import FulfilmentLine, PickedLine
from oms.domain.fulfilment_profiles import PickMode, StepType
from oms.domain.fulfilment_steps import StepState


@dataclass(frozen=True)
class Scanned:
    step: str
    lines: list[rules.LineScans]


def steps_of(row: Fulfilment) -> list[StepState]:
    return [StepState.model_validate(s) for s in row.steps or []]


def lines_of(row: Fulfilment) -> list[FulfilmentLine]:
    return [FulfilmentLine.model_validate(x) for x in row.lines]


def scan(session: Session, row: Fulfilment, barcode: str, actor: str) -> Scanned:
    """Count one unit for the step under way; refused (``DomainError``) when no step takes
    scans now, or when the unit counts for no line."""
    step = rules.scanning_step(steps_of(row))
    if step is None:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "no step under way takes scans (a scan_each pick, a verify or a receipt)",
            "barcode",
        )
    lines = lines_of(row)
    counts = scans.counts(session, row.id, step.key)
    found = catalogue.skus_of_barcodes(session, [barcode])
    placed = rules.place(step, lines, counts, barcode, found.get(barcode))
    if isinstance(placed, FieldError):
        raise DomainError(placed.code, placed.reason, placed.field)
    sku = next(x.sku for x in lines if x.line_id == placed)
    scans.add(
        session,
        fulfilment_id=row.id,
        step=step.key,
        line_id=placed,
        sku=sku,
        barcode=barcode,
        actor=actor,
    )
    counts[placed] = counts.get(placed, 0) + 1
    return Scanned(step=step.key, lines=rules.tally(step, lines, counts))


def scanned_pick(
    session: Session, row: Fulfilment, given: list[PickedLine] | None
) -> tuple[list[PickedLine], list[FieldError]] | None:
    """A scan_each pick's report from its scans (``rules.pick_from_scans``); None when the
    fulfilment's pick is not scanned (a fast pick, a run before profiles)."""
    pick = next((s for s in steps_of(row) if s.type is StepType.PICK), None)
    if pick is None or pick.mode is not PickMode.SCAN_EACH:
        return None
    counts = scans.counts(session, row.id, pick.key)
    return rules.pick_from_scans(lines_of(row), counts, given)


def unverified(session: Session, row: Fulfilment, step_key: str) -> list[FieldError]:
    """What a verify step (or a transfer's receipt) still lacks before it can be completed;
    [] for another step."""
    step = next((s for s in steps_of(row) if s.key == step_key), None)
    if step is None or step.type not in (StepType.VERIFY, StepType.RECEIVE):
        return []
    lines = lines_of(row)
    if any(line.picked is None for line in lines):
        # The row lags the workflow by a moment after the pick: without what was picked,
        # nothing can be checked, and the workflow may already take the verify.
        raise DomainError(
            ErrorCode.INVALID_STATE, "the pick is not recorded yet: try again in a moment", "step"
        )
    return rules.unverified(step, lines, scans.counts(session, row.id, step_key))
