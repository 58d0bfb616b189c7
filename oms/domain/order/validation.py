"""Business validation of an order beyond its shape: every problem found, each with its field.

The rules that need no parsed order (currency, line count, line ids, quantities, an address's
lat and lon sent together) also run over the body as sent (``document_problems``), so a body
that does not parse hears them together with its problems of shape; the catalogue and the store
need a parsed order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from oms.domain.availability import Channel, Exclusion, ProductInfo
from oms.domain.delivery import DeliveryMethod, coordinate_problems
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.money import is_known_currency
from oms.domain.order.charges import tax_problems
from oms.domain.order.model import MAX_LINES, MAX_QUANTITY, CatalogEntry, LocationRef, OrderIn


def not_sold(
    order: OrderIn,
    channel: Channel,
    products: Mapping[str, ProductInfo],
    exclusions: Sequence[Exclusion],
) -> list[FieldError]:
    """Lines whose product an exclusion keeps out of the order's channel or its market: they
    could never be sourced, so the storefront hears it at once. Exclusions of one location
    only leave the product to the others."""
    whole = [e for e in exclusions if e.location_id is None]
    problems = []
    for i, line in enumerate(order.lines):
        product = products.get(line.sku)
        if product is None:
            continue
        found = next((e for e in whole if e.applies(channel, product, None)), None)
        if found is not None:
            problems.append(
                FieldError(
                    field=f"lines[{i}].sku",
                    code=ErrorCode.NOT_SOLD_IN_CHANNEL,
                    reason=f"{line.sku} is not sold in {order.channel} (exclusion {found.id})",
                )
            )
    return problems


def currency_problems(order: OrderIn, channel_currency: str | None) -> list[FieldError]:
    """An order in another currency than the one its channel sells in (its prices, its
    payments, its refunds would all be in a currency the channel does not take); a channel
    without a currency takes any. A currency no one knows is told apart (``unknown_currency``),
    not twice."""
    if channel_currency is None or order.currency == channel_currency:
        return []
    if not is_known_currency(order.currency):
        return []
    return [
        FieldError(
            field="currency",
            code=ErrorCode.CURRENCY_MISMATCH,
            reason=f"{order.channel} sells in {channel_currency}, not {order.currency}",
        )
    ]


def validate_order(
    order: OrderIn,
    *,
    catalog: Mapping[str, CatalogEntry],
    locations: Mapping[str, LocationRef],
) -> list[FieldError]:
    """Business validation beyond the shape: every problem found, each with its field."""
    errors = _currency(order.currency) + _line_count(len(order.lines))
    seen: set[str] = set()
    for i, line in enumerate(order.lines):
        errors += _line(i, line.line_id, line.quantity, seen)
        entry = catalog.get(line.sku)
        if entry is None:
            errors.append(
                FieldError(
                    field=f"lines[{i}].sku",
                    code=ErrorCode.UNKNOWN_SKU,
                    reason=f"SKU {line.sku!r} is not in the catalogue",
                )
            )
        elif not entry.active:
            errors.append(
                FieldError(
                    field=f"lines[{i}].sku",
                    code=ErrorCode.PRODUCT_INACTIVE,
                    reason=f"line {line.line_id}: {line.sku} is not sold any more (inactive)",
                )
            )
    if order.delivery.method is DeliveryMethod.COLLECT:
        errors += store_problems(order.delivery.store_id, locations)
    for at, address in (
        ("delivery.address", order.delivery.address),
        ("billing_address", order.billing_address),
    ):
        if address is not None:
            errors += coordinate_problems(address.lat, address.lon, at)
    return errors + charge_problems(order)


def charge_problems(order: OrderIn) -> list[FieldError]:
    """Taxes are parts of the amounts they are in: never more than them, each code once."""
    errors: list[FieldError] = []
    for i, line in enumerate(order.lines):
        errors += tax_problems(f"lines[{i}].taxes", line.taxes, line.unit_price, "the unit price")
    if order.shipping is not None:
        errors += tax_problems(
            "shipping.taxes", order.shipping.taxes, order.shipping.amount, "the shipping charge"
        )
    return errors


def document_problems(body: object) -> list[FieldError]:
    """The rules that need no parsed order, over an order's JSON body as sent: a value of the
    wrong type is left to the shape's own problems."""
    if not isinstance(body, Mapping):
        return []
    currency = body.get("currency")
    errors = _currency(currency) if isinstance(currency, str) else []
    lines = body.get("lines")
    if isinstance(lines, list):
        errors += _line_count(len(lines))
        seen: set[str] = set()
        for i, line in enumerate(lines):
            if isinstance(line, Mapping):
                errors += _line(i, line.get("line_id"), _whole_number(line.get("quantity")), seen)
    return errors + _coordinates(body)


def _coordinates(body: Mapping[object, object]) -> list[FieldError]:
    """The addresses' coordinates, each lat with its lon, as sent."""
    delivery = body.get("delivery")
    found = [
        ("delivery.address", delivery.get("address") if isinstance(delivery, Mapping) else None),
        ("billing_address", body.get("billing_address")),
    ]
    return [
        error
        for at, address in found
        if isinstance(address, Mapping)
        for error in coordinate_problems(address.get("lat"), address.get("lon"), at)
    ]


def _currency(currency: str) -> list[FieldError]:
    if is_known_currency(currency):
        return []
    return [
        FieldError(
            field="currency",
            code=ErrorCode.UNKNOWN_CURRENCY,
            reason=f"{currency!r} is not a supported ISO 4217 currency code (e.g. EUR)",
        )
    ]


def _line_count(count: int) -> list[FieldError]:
    if count <= MAX_LINES:
        return []
    return [
        FieldError(
            field="lines",
            code=ErrorCode.TOO_MANY_LINES,
            reason=f"an order has at most {MAX_LINES} lines, got {count}",
        )
    ]


def _line(i: int, line_id: object, quantity: int | None, seen: set[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    if isinstance(line_id, str):
        if line_id in seen:
            errors.append(
                FieldError(
                    field=f"lines[{i}].line_id",
                    code=ErrorCode.DUPLICATE_LINE_ID,
                    reason=f"line id {line_id!r} appears more than once",
                )
            )
        seen.add(line_id)
    if quantity is not None and not 0 < quantity <= MAX_QUANTITY:
        errors.append(
            FieldError(
                field=f"lines[{i}].quantity",
                code=ErrorCode.INVALID_QUANTITY,
                reason=f"quantity must be a whole number from 1 to {MAX_QUANTITY}",
            )
        )
    return errors


def _whole_number(value: object) -> int | None:
    """A quantity as the shape would read it (2, 2.0, "2"), or None when it would not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def store_problems(
    store_id: str | None,
    locations: Mapping[str, LocationRef],
    field: str = "delivery.store_id",
) -> list[FieldError]:
    """Why an order cannot be collected at ``store_id`` (unknown, not a store, closed), at
    ``field``; none when it can."""
    store = locations.get(store_id or "")
    if store is None:
        reason, code = f"no location {store_id!r}", ErrorCode.UNKNOWN_STORE
    elif store.type != "store":
        reason = f"{store.id} is a {store.type}, orders can only be collected at a store"
        code = ErrorCode.NOT_A_STORE
    elif not store.is_open:
        reason, code = f"store {store.id} is closed", ErrorCode.STORE_CLOSED
    else:
        return []
    return [FieldError(field=field, code=code, reason=reason)]
