"""Barcodes (GTINs): each belongs to one product, so that a scan names one SKU."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from oms.domain.errors import ErrorCode, FieldError


def taken(
    wanted: Sequence[tuple[str, Sequence[str]]], owners: Mapping[str, str]
) -> list[FieldError]:
    """The barcodes a batch of (sku, barcodes) items cannot give, at ``items[i].barcodes[j]``
    (``taken_by_row``)."""
    return [
        error.model_copy(update={"field": f"items[{i}].{error.field}"})
        for i, error in taken_by_row(wanted, owners)
    ]


def taken_by_row(
    wanted: Sequence[tuple[str, Sequence[str]]], owners: Mapping[str, str]
) -> list[tuple[int, FieldError]]:
    """The barcodes a batch of (sku, barcodes) cannot give, each with its row and at
    ``barcodes[j]``: listed for two SKUs of the batch, or held by a product that keeps it
    (one outside the batch, or one whose new list still has it). ``owners``: the SKU that
    holds each barcode today."""
    new_lists = {sku: set(codes) for sku, codes in wanted}
    first: dict[str, str] = {}
    errors = []
    for i, (sku, codes) in enumerate(wanted):
        for j, barcode in enumerate(codes):
            in_batch = first.setdefault(barcode, sku)
            held = owners.get(barcode)
            kept = held is not None and held != sku and barcode in new_lists.get(held, {barcode})
            if in_batch != sku or kept:
                error = FieldError(
                    field=f"barcodes[{j}]",
                    code=ErrorCode.BARCODE_TAKEN,
                    reason=f"barcode {barcode} is {in_batch if in_batch != sku else held}'s",
                )
                errors.append((i, error))
    return errors
