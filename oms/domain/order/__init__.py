"""The order: what a storefront sends (``model``), its vocabulary (``status``), its validation,
its lines' bookkeeping (``lines``), the aggregate whose pure methods hold every rule of its
life (``state``), and the view the API shows (``views``).

Pure: no I/O, safe to import inside the workflow sandbox.
"""

# The names are loaded on first use (PEP 562): the order's modules and the fulfilment's refer to
# each other's lower layers, and an eager package import would tie them in a cycle.
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oms.domain.delivery import Address, CountryCode, Delivery, DeliveryMethod, Identifier
    from oms.domain.order.lines import LineBook
    from oms.domain.order.model import (
        MAX_LINES,
        MAX_QUANTITY,
        MAX_UNIT_PRICE,
        STORED_PAYMENT_TOKEN,
        CartId,
        CatalogEntry,
        Customer,
        CustomerTier,
        LocationRef,
        OrderIn,
        OrderLine,
    )
    from oms.domain.order.policy import OrderPolicy
    from oms.domain.order.state import OrderState
    from oms.domain.order.status import (
        CancelReason,
        LineState,
        OrderStatus,
        PaymentState,
    )
    from oms.domain.order.validation import validate_order
    from oms.domain.order.views import (
        FraudView,
        FulfilmentSummary,
        LineAllocationView,
        LineView,
        OrderView,
        PaymentView,
        SourcingSummary,
        TimelineEntry,
    )

_WHERE = {
    "Address": "oms.domain.delivery",
    "CancelReason": "oms.domain.order.status",
    "CartId": "oms.domain.order.model",
    "CatalogEntry": "oms.domain.order.model",
    "CountryCode": "oms.domain.delivery",
    "Customer": "oms.domain.order.model",
    "CustomerTier": "oms.domain.order.model",
    "Delivery": "oms.domain.delivery",
    "DeliveryMethod": "oms.domain.delivery",
    "FraudView": "oms.domain.order.views",
    "FulfilmentSummary": "oms.domain.order.views",
    "Identifier": "oms.domain.delivery",
    "LineAllocationView": "oms.domain.order.views",
    "LineBook": "oms.domain.order.lines",
    "LineState": "oms.domain.order.status",
    "LineView": "oms.domain.order.views",
    "LocationRef": "oms.domain.order.model",
    "MAX_LINES": "oms.domain.order.model",
    "MAX_QUANTITY": "oms.domain.order.model",
    "MAX_UNIT_PRICE": "oms.domain.order.model",
    "OrderIn": "oms.domain.order.model",
    "OrderLine": "oms.domain.order.model",
    "OrderPolicy": "oms.domain.order.policy",
    "OrderState": "oms.domain.order.state",
    "OrderStatus": "oms.domain.order.status",
    "OrderView": "oms.domain.order.views",
    "STORED_PAYMENT_TOKEN": "oms.domain.order.model",
    "PaymentState": "oms.domain.order.status",
    "PaymentView": "oms.domain.order.views",
    "SourcingSummary": "oms.domain.order.views",
    "TimelineEntry": "oms.domain.order.views",
    "validate_order": "oms.domain.order.validation",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "MAX_UNIT_PRICE",
    "STORED_PAYMENT_TOKEN",
    "Address",
    "CancelReason",
    "CartId",
    "CatalogEntry",
    "CountryCode",
    "Customer",
    "CustomerTier",
    "Delivery",
    "DeliveryMethod",
    "FraudView",
    "FulfilmentSummary",
    "Identifier",
    "LineAllocationView",
    "LineBook",
    "LineState",
    "LineView",
    "LocationRef",
    "OrderIn",
    "OrderLine",
    "OrderPolicy",
    "OrderState",
    "OrderStatus",
    "OrderView",
    "PaymentState",
    "PaymentView",
    "SourcingSummary",
    "TimelineEntry",
    "validate_order",
]
