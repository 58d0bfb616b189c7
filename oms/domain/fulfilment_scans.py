"""Units scanned for a fulfilment's step: a pick in ``scan_each`` mode, a verify at the bench,
a transfer's receipt at its collection store.

Each scan is one unit of a product on the fulfilment's lines. A barcode of another product is
refused (``wrong_item``) and counts nothing, as is one no product has (``unknown_barcode``)
and a unit more than the step expects of its line: at the pick, the quantity ordered; at a
verify or a receipt, what was picked. A scan_each pick takes its counts from the scans; a
verify (a receipt by units) is done once every picked unit has been scanned again.

Pure: no I/O.
"""

from __future__ import annotations

from pydantic import BaseModel

from oms.domain.errors import ErrorCode, FieldError
from oms.domain.fulfilment import FulfilmentLine, PickedLine
from oms.domain.fulfilment_profiles import PickMode, StepType
from oms.domain.fulfilment_steps import StepState


class LineScans(BaseModel):
    line_id: str
    sku: str
    expected: int
    scanned: int


def scanning_step(steps: list[StepState]) -> StepState | None:
    """The step under way when it takes scans: a scan_each pick or a verify; else None."""
    current = next((s for s in steps if not s.status.is_over), None)
    if current is None:
        return None
    if current.type in (StepType.VERIFY, StepType.RECEIVE):
        return current
    if current.type is StepType.PICK and current.mode is PickMode.SCAN_EACH:
        return current
    return None


def expected(step: StepState, lines: list[FulfilmentLine]) -> dict[str, int]:
    """How many units of each line the step expects to be scanned."""
    if step.type in (StepType.VERIFY, StepType.RECEIVE):
        return {line.line_id: line.picked or 0 for line in lines}
    return {line.line_id: line.quantity for line in lines}


def tally(step: StepState, lines: list[FulfilmentLine], counts: dict[str, int]) -> list[LineScans]:
    wanted = expected(step, lines)
    return [
        LineScans(
            line_id=line.line_id,
            sku=line.sku,
            expected=wanted[line.line_id],
            scanned=counts.get(line.line_id, 0),
        )
        for line in lines
    ]


def place(
    step: StepState,
    lines: list[FulfilmentLine],
    counts: dict[str, int],
    barcode: str,
    sku: str | None,
) -> str | FieldError:
    """The line a scanned unit counts for, or why it counts for none."""
    if sku is None:
        return FieldError(
            field="barcode",
            code=ErrorCode.UNKNOWN_BARCODE,
            reason=f"no product has the barcode {barcode}",
        )
    mine = [line for line in lines if line.sku == sku]
    if not mine:
        return FieldError(
            field="barcode",
            code=ErrorCode.WRONG_ITEM,
            reason=f"{sku} is not on this fulfilment: put it back",
        )
    wanted = expected(step, lines)
    for line in mine:
        if counts.get(line.line_id, 0) < wanted[line.line_id]:
            return line.line_id
    return FieldError(
        field="barcode",
        code=ErrorCode.PICK_EXCEEDS_REQUESTED,
        reason=f"every unit of {sku} this step expects is scanned already",
    )


def unverified(
    step: StepState, lines: list[FulfilmentLine], counts: dict[str, int]
) -> list[FieldError]:
    """The lines a verify step (or a transfer's receipt) still lacks scans of."""
    return [
        FieldError(
            field=f"lines[{i}]",
            code=ErrorCode.NOT_SCANNED,
            reason=f"{t.scanned} of the {t.expected} picked units of {t.sku} scanned again",
        )
        for i, t in enumerate(tally(step, lines, counts))
        if t.scanned < t.expected
    ]


def pick_from_scans(
    lines: list[FulfilmentLine], counts: dict[str, int], given: list[PickedLine] | None
) -> tuple[list[PickedLine], list[FieldError]]:
    """A scan_each pick's report: the scans' counts, or the staff's figures when none is more
    than was scanned (a unit scanned, then put back, is reported picked less); and what is
    wrong with those figures."""
    if given is None:
        scanned = [PickedLine(line_id=x.line_id, picked=counts.get(x.line_id, 0)) for x in lines]
        return scanned, []
    errors = [
        FieldError(
            field=f"lines[{i}].picked",
            code=ErrorCode.NOT_SCANNED,
            reason=f"{p.picked} reported picked but {counts.get(p.line_id, 0)} scanned",
        )
        for i, p in enumerate(given)
        if p.picked > counts.get(p.line_id, 0)
    ]
    return given, errors
