"""Temporal plumbing shared by workers, the API and tests: client, ids, search attributes."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from oms.config import Settings

# Search attributes ops filter runs by in the Temporal UI. No personal data goes here.
ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
CHANNEL = SearchAttributeKey.for_keyword("Channel")
CUSTOMER_TIER = SearchAttributeKey.for_keyword("CustomerTier")
FULFILMENT_LOCATIONS = SearchAttributeKey.for_keyword_list("FulfilmentLocations")
# An inventory sync's progress: percent of its chunks applied.
SYNC_PROGRESS = SearchAttributeKey.for_int("SyncProgress")

SEARCH_ATTRIBUTES: dict[str, IndexedValueType.ValueType] = {
    ORDER_STATUS.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    CHANNEL.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    CUSTOMER_TIER.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    FULFILMENT_LOCATIONS.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    SYNC_PROGRESS.name: IndexedValueType.INDEXED_VALUE_TYPE_INT,
}
# The same, as `temporal server start-dev --search-attribute` wants them.
SEARCH_ATTRIBUTE_FLAGS = {
    ORDER_STATUS.name: "Keyword",
    CHANNEL.name: "Keyword",
    CUSTOMER_TIER.name: "Keyword",
    FULFILMENT_LOCATIONS.name: "KeywordList",
    SYNC_PROGRESS.name: "Int",
}


async def connect(settings: Settings) -> Client:
    """The one way the OMS connects to Temporal: pydantic models travel as JSON."""
    return await Client.connect(
        settings.temporal_target,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )


async def ensure_search_attributes(client: Client) -> None:
    """Register our search attributes where they are missing (idempotent)."""
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        known = set(existing.custom_attributes)
    except RPCError as err:
        # The time-skipping test server can add search attributes but not list them.
        if err.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    missing = {name: kind for name, kind in SEARCH_ATTRIBUTES.items() if name not in known}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
