"""The invoice an ERP books for a shipment (``order.invoiced``): one per fulfilment whose
goods were captured, as EU retail invoices each delivery. It carries the lines that left the
building at their prices, the taxes the storefront gave (prices include them), the shipping
charge on the invoice whose capture took it, and the totals. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oms.domain.fulfilment import FulfilmentView
from oms.domain.order.charges import Tax, scaled, summed, tax_total
from oms.domain.order.model import OrderIn


def invoice(
    order: OrderIn,
    view: FulfilmentView,
    *,
    number: str,
    with_shipping: bool,
    issued_at: datetime,
) -> dict[str, Any]:
    """The ``order.invoiced`` payload (without ``order_id``, which every order event has)."""
    lines: list[dict[str, Any]] = []
    groups: list[list[Tax]] = []
    for shipped in view.lines:
        units = shipped.units_out(view.status)
        if units <= 0:
            continue
        line = order.line(shipped.line_id)
        taxes = scaled(line.taxes, units)
        groups.append(taxes)
        lines.append(
            {
                "line_id": line.line_id,
                "sku": line.sku,
                "quantity": units,
                "unit_price": line.unit_price,
                "amount": units * line.unit_price,
                "taxes": [t.model_dump(mode="json") for t in taxes],
            }
        )
    shipping = order.shipping if with_shipping and order.shipping is not None else None
    if shipping is not None:
        groups.append(list(shipping.taxes))
    taxes = summed(groups)
    total = sum(line["amount"] for line in lines) + (shipping.amount if shipping else 0)
    return {
        "invoice_number": number,
        "fulfilment_id": view.fulfilment_id,
        "channel": order.channel,
        "customer_id": order.customer.id,
        "currency": order.currency,
        "issued_at": issued_at.isoformat(),
        "lines": lines,
        "shipping": shipping.model_dump(mode="json") if shipping else None,
        "taxes": [t.model_dump(mode="json") for t in taxes],
        "total": total,
        "tax_total": tax_total(taxes),
        "net_total": total - tax_total(taxes),
    }
