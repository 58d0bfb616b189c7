"""Business validation of an order beyond its shape: every problem found, each with its field."""

from __future__ import annotations

from collections.abc import Mapping

from oms.domain.delivery import DeliveryMethod
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.money import is_known_currency
from oms.domain.order.model import MAX_LINES, MAX_QUANTITY, CatalogEntry, LocationRef, OrderIn


def validate_order(
    order: OrderIn,
    *,
    catalog: Mapping[str, CatalogEntry],
    locations: Mapping[str, LocationRef],
) -> list[FieldError]:
    """Business validation beyond the shape: every problem found, each with its field."""
    errors: list[FieldError] = []
    if not is_known_currency(order.currency):
        errors.append(
            FieldError(
                field="currency",
                code=ErrorCode.UNKNOWN_CURRENCY,
                reason=f"{order.currency} is not a supported ISO 4217 currency",
            )
        )
    if len(order.lines) > MAX_LINES:
        errors.append(
            FieldError(
                field="lines",
                code=ErrorCode.TOO_MANY_LINES,
                reason=f"an order has at most {MAX_LINES} lines, got {len(order.lines)}",
            )
        )
    seen: set[str] = set()
    for i, line in enumerate(order.lines):
        if line.line_id in seen:
            errors.append(
                FieldError(
                    field=f"lines[{i}].line_id",
                    code=ErrorCode.DUPLICATE_LINE_ID,
                    reason=f"line id {line.line_id!r} appears more than once",
                )
            )
        seen.add(line.line_id)
        if not 0 < line.quantity <= MAX_QUANTITY:
            errors.append(
                FieldError(
                    field=f"lines[{i}].quantity",
                    code=ErrorCode.INVALID_QUANTITY,
                    reason=f"quantity must be a whole number from 1 to {MAX_QUANTITY}",
                )
            )
        if line.sku not in catalog:
            errors.append(
                FieldError(
                    field=f"lines[{i}].sku",
                    code=ErrorCode.UNKNOWN_SKU,
                    reason=f"SKU {line.sku!r} is not in the catalogue",
                )
            )
    if order.delivery.method is DeliveryMethod.COLLECT:
        store = locations.get(order.delivery.store_id or "")
        if store is None:
            errors.append(
                FieldError(
                    field="delivery.store_id",
                    code=ErrorCode.UNKNOWN_STORE,
                    reason=f"no location {order.delivery.store_id!r}",
                )
            )
        elif store.type != "store":
            errors.append(
                FieldError(
                    field="delivery.store_id",
                    code=ErrorCode.NOT_A_STORE,
                    reason=f"{store.id} is a {store.type}, orders can only be collected at a store",
                )
            )
        elif not store.is_open:
            errors.append(
                FieldError(
                    field="delivery.store_id",
                    code=ErrorCode.STORE_CLOSED,
                    reason=f"store {store.id} is closed",
                )
            )
    return errors
