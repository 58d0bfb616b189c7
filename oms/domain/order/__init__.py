"""The order: what a storefront sends (``model``), its vocabulary (``status``), its validation,
its lines' bookkeeping (``lines``), the aggregate whose pure methods hold every rule of its
life (``state``), and the view the API shows (``views``).

Pure: no I/O, safe to import inside the workflow sandbox.
"""

from oms.domain.order.lines import LineBook
from oms.domain.order.model import (
    MAX_LINES,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    Address,
    CartId,
    CatalogEntry,
    CountryCode,
    Customer,
    CustomerTier,
    Delivery,
    DeliveryMethod,
    Identifier,
    LocationRef,
    OrderIn,
    OrderLine,
)
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

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "MAX_UNIT_PRICE",
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
    "OrderStatus",
    "OrderView",
    "PaymentState",
    "PaymentView",
    "SourcingSummary",
    "TimelineEntry",
    "validate_order",
]
