"""The OMS's own metrics: their names, kinds, labels and meaning, in one place.

The API exports them with ``prometheus_client`` at ``GET /metrics``; workers export the ones
workflows and activities record through the Temporal SDK's metric meter, beside the SDK's own
worker metrics, on ``OMS_METRICS_PORT``. The Grafana dashboard in ``deploy/`` may only name
metrics listed here or exported by Temporal (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Metric:
    name: str
    kind: Literal["counter", "histogram", "gauge"]
    labels: tuple[str, ...]
    help: str
    where: Literal["api", "worker"]


ORDERS_PLACED = Metric(
    "oms_orders_placed_total",
    "counter",
    ("channel",),
    "Orders accepted by POST /orders (a replay of the same order is not counted again).",
    "api",
)
ORDERS_FINISHED = Metric(
    "oms_orders_finished_total",
    "counter",
    ("channel", "outcome", "reason"),
    "Order runs that ended: outcome completed or cancelled, reason the cancel reason or none.",
    "worker",
)
ORDER_STATUS_SECONDS = Metric(
    "oms_order_status_seconds",
    "histogram",
    ("status",),
    "Time an order spent in a status, recorded when it leaves that status.",
    "worker",
)
TASK_SLA_BREACHES = Metric(
    "oms_task_sla_breaches_total",
    "counter",
    ("kind",),
    "Human tasks past their first deadline (escalated): fraud reviews, picks.",
    "worker",
)
ATP_LOOKUP_SECONDS = Metric(
    "oms_atp_lookup_seconds",
    "histogram",
    (),
    "Time to answer one available-to-promise lookup (one or many SKUs), database included.",
    "api",
)
HTTP_REQUEST_SECONDS = Metric(
    "oms_http_request_seconds",
    "histogram",
    ("route", "method", "code"),
    "API request durations by route template, method and status code.",
    "api",
)

ALL: tuple[Metric, ...] = (
    ORDERS_PLACED,
    ORDERS_FINISHED,
    ORDER_STATUS_SECONDS,
    TASK_SLA_BREACHES,
    ATP_LOOKUP_SECONDS,
    HTTP_REQUEST_SECONDS,
)
