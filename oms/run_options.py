"""What an order run carries from its start, whoever starts it (the API, the benchmark, a
test): its id, the one-line summary and the details ops read in the Temporal UI and CLI, and
its first search attributes, so a run is found by order id, channel, tier or total before its
first workflow task has even run. No personal data (see oms.domain.order.run_info)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio.common import SearchAttributePair, TypedSearchAttributes

from oms.domain.order import OrderIn, OrderStatus
from oms.domain.order.run_info import WaitingOn, order_details, order_summary
from oms.keys import order_workflow_id
from oms.temporal import (
    CHANNEL,
    CUSTOMER_TIER,
    ORDER_ID,
    ORDER_STATUS,
    ORDER_TOTAL,
    STATUS_SINCE,
    WAITING_ON,
)


def order_start_options(order: OrderIn, received_at: datetime) -> dict[str, Any]:
    """Keyword arguments for ``Client.start_workflow(OrderWorkflow.run, ...)``."""
    return {
        "id": order_workflow_id(order.id),
        "static_summary": order_summary(order),
        "static_details": order_details(order),
        "search_attributes": TypedSearchAttributes(
            [
                SearchAttributePair(ORDER_ID, order.id),
                SearchAttributePair(ORDER_STATUS, OrderStatus.RECEIVED.value),
                SearchAttributePair(CHANNEL, order.channel),
                SearchAttributePair(CUSTOMER_TIER, order.customer.tier.value),
                SearchAttributePair(ORDER_TOTAL, order.total),
                SearchAttributePair(WAITING_ON, WaitingOn.NONE.value),
                SearchAttributePair(STATUS_SINCE, received_at),
            ]
        ),
    }
