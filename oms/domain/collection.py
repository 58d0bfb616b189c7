"""Click & collect at the counter: what a customer takes, what is left, and when it goes back.

A fulfilment ready for collection waits for its customer ``collection.hold_for`` (its
profile's collection policy) from the moment it was ready, with one reminder after
``collection.remind_after``. The customer may take part of it (``CollectReport.lines``) and come
back with the same code for the rest; what is still waiting when the hold ends is not
collected: back to available stock, its lines cancelled ``not_collected``.

Pure: no I/O, safe to import inside the workflow sandbox.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from oms.domain.errors import ErrorCode, FieldError
from oms.domain.fulfilment import FulfilmentLine
from oms.domain.fulfilment_profiles import CollectionPolicy
from oms.domain.fulfilment_steps import CollectReport
from oms.domain.reason_codes import BUILT_IN_BY_CODE

# The reason code the uncollected units are cancelled with (a built-in code, usage
# ``cancellation``), and the message keys of what the customer is sent.
NOT_COLLECTED = "not_collected"
NOT_COLLECTED_MESSAGE = BUILT_IN_BY_CODE[NOT_COLLECTED].customer_message
REMINDER_MESSAGE = "customer.collection_reminder"
# A collection's units split off the committed ledger entry as a part of their own: part 0 is
# the entry as reserved, 1 what a short pick let go; collection n is part COLLECTION_PART + n,
# so a retried write finds the part it made and moves nothing twice.
COLLECTION_PART = 1


class Collection(BaseModel):
    """One visit at the counter: its number (1, 2...) and the units taken, by line id."""

    number: int = Field(ge=1)
    units: dict[str, int]
    actor: str = "store"
    complete: bool = False  # nothing is left to collect after it

    @property
    def ledger_part(self) -> int:
        return COLLECTION_PART + self.number

    @property
    def event_step(self) -> str:
        """What tells this visit's ``fulfilment.collected`` event from the others'."""
        return f"collection-{self.number}"


class CollectionTimes(BaseModel):
    """When the customer is reminded and when the hold ends, from the moment it was ready."""

    remind_at: datetime
    hold_until: datetime

    @classmethod
    def of(cls, ready_at: datetime, policy: CollectionPolicy) -> CollectionTimes:
        return cls(remind_at=ready_at + policy.remind_after, hold_until=ready_at + policy.hold_for)


def collect_refusals(lines: list[FulfilmentLine], report: CollectReport) -> list[FieldError]:
    """Why the lines a customer takes cannot be handed over: a line not on the fulfilment,
    one named twice, or more units than are still waiting on it."""
    errors: list[FieldError] = []
    by_id = {line.line_id: line for line in lines}
    seen: set[str] = set()
    for i, taken in enumerate(report.lines or []):
        line = by_id.get(taken.line_id)
        if line is None:
            reason = f"line {taken.line_id!r} is not in this collection"
            errors.append(FieldError(field=f"lines[{i}].line_id", code=ErrorCode.UNKNOWN_LINE,
                                     reason=reason))  # fmt: skip
            continue
        if taken.line_id in seen:
            reason = f"line {taken.line_id!r} is given twice"
            errors.append(FieldError(field=f"lines[{i}].line_id",
                                     code=ErrorCode.DUPLICATE_LINE_ID, reason=reason))  # fmt: skip
        seen.add(taken.line_id)
        left = line.left_to_collect
        if taken.quantity > left:
            reason = f"{taken.quantity} asked, {left} of line {taken.line_id!r} left to collect"
            errors.append(FieldError(field=f"lines[{i}].quantity",
                                     code=ErrorCode.INVALID_QUANTITY, reason=reason))  # fmt: skip
    return errors


def units_taken(lines: list[FulfilmentLine], report: CollectReport) -> dict[str, int]:
    """The units handed over, by line: those the report names, else everything left."""
    if report.lines is not None:
        return {taken.line_id: taken.quantity for taken in report.lines}
    return {line.line_id: line.left_to_collect for line in lines if line.left_to_collect > 0}


def apply_collection(lines: list[FulfilmentLine], units: dict[str, int]) -> list[FulfilmentLine]:
    """Every line counts what was collected of it (0 for one not taken yet)."""
    return [
        line.model_copy(update={"collected": (line.collected or 0) + units.get(line.line_id, 0)})
        for line in lines
    ]


def all_collected(lines: list[FulfilmentLine]) -> bool:
    return all(line.left_to_collect <= 0 for line in lines)


def left_over(lines: list[FulfilmentLine]) -> dict[str, int]:
    """What is still waiting, by line: what goes back to stock when the hold ends."""
    return {line.line_id: line.left_to_collect for line in lines if line.left_to_collect > 0}
