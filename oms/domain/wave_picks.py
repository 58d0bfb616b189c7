"""What a picker reports on a wave, and how the sort shares it out among its fulfilments.

Reports are per SKU: a count (the units in hand, replacing what was reported before) or the
barcodes scanned (one unit each, added). A barcode of another product counts nothing and the
whole report is refused (``wrong_item``). The sort gives each SKU's picked units to the
fulfilments by the declared rule, express first, then the earliest pick deadline, then the
fulfilment id (``oms.domain.waves.priority``); a line that gets less than it asked for is
short with the reason the picker declared for the SKU, ``not_found`` if none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oms.domain.errors import ErrorCode, FieldError
from oms.domain.fulfilment import PickedLine
from oms.domain.numbers import WholeNumber
from oms.domain.reason_codes import Code
from oms.domain.waves import Candidate, priority

DEFAULT_SHORT_REASON = "not_found"
MAX_SCANS = 1000


class SkuPick(BaseModel):
    """Where the picking of one SKU of a wave stands."""

    picked: int = 0
    short_reason: Code | None = None


class SkuReport(BaseModel):
    """One SKU picked: ``count`` units in hand, or the ``barcodes`` scanned (one unit each)."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    count: WholeNumber | None = Field(default=None, ge=0, le=1_000_000)
    barcodes: list[str] | None = Field(default=None, min_length=1, max_length=MAX_SCANS)
    short_reason: Code | None = Field(
        default=None, description="Why the rest cannot be found; applied to the short lines"
    )

    @model_validator(mode="after")
    def _count_or_scans(self) -> SkuReport:
        if (self.count is None) == (self.barcodes is None):
            raise ValueError("report either a count or the barcodes scanned")
        return self


def record_picks(
    quantities: Mapping[str, int],
    picks: Mapping[str, SkuPick],
    reports: Sequence[SkuReport],
    barcode_skus: Mapping[str, str],
) -> tuple[dict[str, SkuPick], list[FieldError]]:
    """The wave's picks once ``reports`` are applied, or every problem with them (then
    nothing is applied). ``barcode_skus`` tells the SKU of each barcode known."""
    after = {sku: p.model_copy() for sku, p in picks.items()}
    errors: list[FieldError] = []
    for i, report in enumerate(reports):
        at = f"lines[{i}]"
        wanted = quantities.get(report.sku)
        if wanted is None:
            errors.append(
                FieldError(
                    field=f"{at}.sku",
                    code=ErrorCode.UNKNOWN_LINE,
                    reason=f"SKU {report.sku!r} is not on this wave",
                )
            )
            continue
        pick = after.setdefault(report.sku, SkuPick())
        if report.barcodes is not None:
            scan_errors = _check_scans(report, at, barcode_skus)
            errors.extend(scan_errors)
            if scan_errors:
                continue
            picked = pick.picked + len(report.barcodes)
        else:
            assert report.count is not None
            picked = report.count
        if picked > wanted:
            errors.append(
                FieldError(
                    field=f"{at}.{'count' if report.count is not None else 'barcodes'}",
                    code=ErrorCode.PICK_EXCEEDS_REQUESTED,
                    reason=f"{picked} units of {report.sku} but the wave asks for {wanted}",
                )
            )
            continue
        pick.picked = picked
        if report.short_reason is not None:
            pick.short_reason = report.short_reason
    return after, errors


def _check_scans(report: SkuReport, at: str, barcode_skus: Mapping[str, str]) -> list[FieldError]:
    errors = []
    for j, barcode in enumerate(report.barcodes or ()):
        sku = barcode_skus.get(barcode)
        if sku == report.sku:
            continue
        if sku is None:
            errors.append(
                FieldError(
                    field=f"{at}.barcodes[{j}]",
                    code=ErrorCode.UNKNOWN_BARCODE,
                    reason=f"no product has the barcode {barcode!r}",
                )
            )
        else:
            errors.append(
                FieldError(
                    field=f"{at}.barcodes[{j}]",
                    code=ErrorCode.WRONG_ITEM,
                    reason=f"barcode {barcode!r} is {sku}, not {report.sku}",
                )
            )
    return errors


def distribute(
    members: Sequence[Candidate], picks: Mapping[str, SkuPick]
) -> dict[str, list[PickedLine]]:
    """Each fulfilment's pick report, in priority order: the picked units of each SKU go to
    the most urgent fulfilments' lines first; what is short carries the SKU's reason."""
    left = {sku: p.picked for sku, p in picks.items()}
    reports: dict[str, list[PickedLine]] = {}
    for member in sorted(members, key=priority):
        lines = []
        for line in member.lines:
            given = min(line.quantity, left.get(line.sku, 0))
            left[line.sku] = left.get(line.sku, 0) - given
            reason = None
            if given < line.quantity:
                declared = picks.get(line.sku)
                reason = (declared.short_reason if declared else None) or DEFAULT_SHORT_REASON
            lines.append(PickedLine(line_id=line.line_id, picked=given, short_reason=reason))
        reports[member.fulfilment_id] = lines
    return reports
