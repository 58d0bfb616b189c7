"""Temporal plumbing shared by workers, the API and tests: client, data converter, search
attributes."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.service import RPCError, RPCStatusCode

from oms.config import Settings
from oms.logging import get_logger
from oms.metrics import worker_buckets
from oms.payload_keys import keys_from_settings
from oms.tracing import temporal_interceptors

if TYPE_CHECKING:
    from oms.codec import EncryptionCodec

# Search attributes ops filter runs by in the Temporal UI and CLI (docs/operations.md has the
# queries). No personal data goes here: ids, codes, statuses, amounts and times only.
ORDER_ID = SearchAttributeKey.for_keyword("OrderId")  # on the order and on every child
ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
CHANNEL = SearchAttributeKey.for_keyword("Channel")
CUSTOMER_TIER = SearchAttributeKey.for_keyword("CustomerTier")
FULFILMENT_LOCATIONS = SearchAttributeKey.for_keyword_list("FulfilmentLocations")
FULFILMENT_STATUS = SearchAttributeKey.for_keyword("FulfilmentStatus")
# Who the order waits on now: analyst, store, stock, payment, carrier, customer or none.
WAITING_ON = SearchAttributeKey.for_keyword("WaitingOn")
STATUS_SINCE = SearchAttributeKey.for_datetime("StatusSince")
# Set while a human deadline runs (a fraud review, a pick), removed once it is met.
DUE_AT = SearchAttributeKey.for_datetime("DueAt")
CANCEL_REASON = SearchAttributeKey.for_keyword("CancelReason")
ORDER_TOTAL = SearchAttributeKey.for_int("OrderTotal")  # minor units
# An inventory sync's progress: percent of its chunks applied.
SYNC_PROGRESS = SearchAttributeKey.for_int("SyncProgress")

_KINDS = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}
# Name -> type, as `temporal server start-dev --search-attribute` and
# `temporal operator search-attribute create` want them.
SEARCH_ATTRIBUTE_FLAGS: dict[str, str] = {
    ORDER_ID.name: "Keyword",
    ORDER_STATUS.name: "Keyword",
    CHANNEL.name: "Keyword",
    CUSTOMER_TIER.name: "Keyword",
    FULFILMENT_LOCATIONS.name: "KeywordList",
    FULFILMENT_STATUS.name: "Keyword",
    WAITING_ON.name: "Keyword",
    STATUS_SINCE.name: "Datetime",
    DUE_AT.name: "Datetime",
    CANCEL_REASON.name: "Keyword",
    ORDER_TOTAL.name: "Int",
    SYNC_PROGRESS.name: "Int",
}
SEARCH_ATTRIBUTES: dict[str, IndexedValueType.ValueType] = {
    name: _KINDS[kind] for name, kind in SEARCH_ATTRIBUTE_FLAGS.items()
}


def payload_codec(settings: Settings) -> EncryptionCodec | None:
    """The codec payloads are sealed with (oms.codec), or None when OMS_PAYLOAD_ENCRYPTION
    is off. Raises ``oms.payload_keys.PayloadKeyError`` when encryption is on and no key is
    set: nothing starts that would hand Temporal customers' details in clear by mistake."""
    if not settings.payload_encryption:
        return None
    # Imported here: workflows import this module, and need no cipher library loaded for it.
    from oms.codec import EncryptionCodec

    return EncryptionCodec(keys_from_settings(settings))


def data_converter(settings: Settings) -> DataConverter:
    """The OMS's data converter: pydantic models as JSON, then sealed by the payload codec.
    Workers, the API, tests and the bench build theirs here, so they all read each other."""
    codec = payload_codec(settings)
    if codec is None:
        get_logger(__name__).warning(
            "payloads_not_encrypted",
            reason="OMS_PAYLOAD_ENCRYPTION is off: Temporal stores customers' details in clear",
        )
        return pydantic_data_converter
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec)


def unreachable(exc: BaseException) -> bool:
    """Temporal could not be reached by a lazy client that never connected: the SDK raises a
    bare RuntimeError then, where a connected client raises an RPCError."""
    return isinstance(exc, RuntimeError) and str(exc).startswith("Failed client connect")


async def connect(
    settings: Settings, *, runtime: Runtime | None = None, lazy: bool = False
) -> Client:
    """The one way the OMS connects to Temporal: pydantic models travel as JSON, sealed by the
    payload codec (``data_converter``), and traces go through when tracing is on (workers
    built from this client inherit its interceptors and its converter). A worker serving
    metrics passes a ``metrics_runtime``; every runtime forwards the SDK core's own log lines
    to Python logging (``forwarded_core_logs``). ``lazy``: connect on first use, so that a
    process that can work without Temporal for a while (the API: it stores orders and serves
    reads) starts while Temporal is away; a call that cannot connect then raises what
    ``unreachable`` recognises."""
    return await Client.connect(
        settings.temporal_target,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        interceptors=temporal_interceptors(),
        runtime=runtime or logging_runtime(),
        lazy=lazy,
    )


# The SDK's core (Rust) writes its warnings straight to the process's stdout, where they land
# between the OMS's JSON lines, sometimes inside one. Forwarded, they go through the one
# logging handler (oms.logging) as JSON lines of their own, logger "temporalio.core".
CORE_LOGGER = logging.getLogger("temporalio.core")


def forwarded_core_logs() -> LoggingConfig:
    return LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=CORE_LOGGER, append_target_to_name=False),
    )


@functools.cache
def logging_runtime() -> Runtime:
    """The process's runtime when it serves no metrics: core logs forwarded (one per process,
    as the SDK's default runtime is)."""
    return Runtime(telemetry=TelemetryConfig(logging=forwarded_core_logs()))


def metrics_runtime(port: int, *, host: str = "0.0.0.0") -> Runtime:
    """A Temporal runtime serving Prometheus metrics at ``http://host:port/metrics``: the SDK's
    own (``temporal_`` names) and the OMS's that workflows record (``oms_`` names, see
    oms.metrics). Durations are in seconds, as Prometheus has them. Raises ``ValueError`` when
    the port cannot be bound."""
    prometheus = PrometheusConfig(
        bind_address=f"{host}:{port}",
        # Said, not defaulted: oms.metrics names its counters with their _total already.
        counters_total_suffix=False,
        durations_as_seconds=True,
        histogram_bucket_overrides=worker_buckets(),
    )
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus, logging=forwarded_core_logs()))


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


async def start_once(start: Callable[[], Awaitable[object]], *, tries: int = 3) -> bool:
    """Start a run whose id is never given twice, once whatever happens: a start that timed
    out may have started it on the server, so it is asked again, and "already started" is that
    run. True when this call started it, False when it was there already.

    Raises:
        RPCError, RuntimeError: Temporal could not be reached ``tries`` times.
    """
    for attempt in range(1, tries + 1):
        try:
            await start()
            return True
        except WorkflowAlreadyStartedError:
            return False
        except (RPCError, RuntimeError):
            if attempt == tries:
                raise
            await asyncio.sleep(0.2 * attempt)
    raise AssertionError("unreachable: the last try returns or raises")
