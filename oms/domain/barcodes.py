"""Barcodes (GTINs): each belongs to one product, so that a scan names one SKU."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from oms.domain.errors import ErrorCode, FieldError


def taken(
    wanted: Sequence[tuple[str, Sequence[str]]], owners: Mapping[str, str]
) -> list[FieldError]:
    """The barcodes a batch of (sku, barcodes) cannot give: listed for two SKUs of the
    batch, or held by a product that keeps it (one outside the batch, or one whose new list
    still has it). ``owners``: the SKU that holds each barcode today."""
    new_lists = {sku: set(codes) for sku, codes in wanted}
    first: dict[str, str] = {}
    errors = []
    for i, (sku, codes) in enumerate(wanted):
        for j, barcode in enumerate(codes):
            in_batch = first.setdefault(barcode, sku)
            held = owners.get(barcode)
            kept = held is not None and held != sku and barcode in new_lists.get(held, {barcode})
            if in_batch != sku or kept:
                errors.append(
                    FieldError(
                        field=f"items[{i}].barcodes[{j}]",
                        code=ErrorCode.BARCODE_TAKEN,
                        reason=f"barcode {barcode} is {in_batch if in_batch != sku else held}'s",
                    )
                )
    return errors
