"""The OMS's own metrics: their names, kinds, labels and meaning, in one place.

The API records and exports its own with ``prometheus_client`` at ``GET /metrics``
(``api/metrics.py``); workflows record the worker's through the functions at the end of this
module, and workers export them beside the Temporal SDK's own worker metrics on
``OMS_METRICS_PORT`` (``oms.temporal.metrics_runtime``). This module stays pure (the workflow
sandbox passes it through): declarations and recording calls, no I/O. The Grafana dashboard
in ``deploy/`` may only name metrics listed here or exported by Temporal (a test checks it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from temporalio.common import MetricMeter

from oms.domain.order.status import CancelReason, OrderStatus
from oms.domain.tasks import TaskKind

# Bucket bounds in seconds. An order waits in a status from a moment (automated steps) to days
# (a fraud review may take 24 hours, stock is awaited for up to 3 days by default).
STATUS_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400,
                  172800, 259200, 604800)  # fmt: skip
# prometheus_client's defaults: an API request, from 5 ms to 10 s.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
# One ATP lookup reads the database once or twice: milliseconds, a second at worst.
ATP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


@dataclass(frozen=True)
class Metric:
    name: str
    kind: Literal["counter", "histogram", "gauge"]
    labels: tuple[str, ...]
    help: str
    where: Literal["api", "worker"]
    buckets: tuple[float, ...] = ()  # a histogram's bucket bounds, in seconds


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
    buckets=STATUS_BUCKETS,
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
    buckets=ATP_BUCKETS,
)
HTTP_REQUEST_SECONDS = Metric(
    "oms_http_request_seconds",
    "histogram",
    ("route", "method", "code"),
    "API request durations by route template, method and status code.",
    "api",
    buckets=HTTP_BUCKETS,
)

ALL: tuple[Metric, ...] = (
    ORDERS_PLACED,
    ORDERS_FINISHED,
    ORDER_STATUS_SECONDS,
    TASK_SLA_BREACHES,
    ATP_LOOKUP_SECONDS,
    HTTP_REQUEST_SECONDS,
)


def worker_buckets() -> Mapping[str, Sequence[float]]:
    """The bucket bounds of the worker's histograms, by metric name, for the Temporal SDK's
    Prometheus exporter (its own default buckets stop at 10 seconds)."""
    return {m.name: m.buckets for m in ALL if m.where == "worker" and m.kind == "histogram"}


# Recorded by workflows through ``workflow.metric_meter()``: the SDK adds the run's namespace,
# task queue and workflow type as labels, and records nothing while a run is replayed. The
# instruments are named exactly as declared: the SDK's exporter adds no ``temporal_`` prefix to
# them and, as the OMS configures it (oms.temporal.metrics_runtime), no ``_total`` suffix.


def order_finished(
    meter: MetricMeter,
    *,
    channel: str,
    outcome: Literal["completed", "cancelled"],
    reason: CancelReason | None,
) -> None:
    """An order run ended; ``reason`` is the cancel reason, None (label "none") otherwise."""
    meter.create_counter(ORDERS_FINISHED.name, ORDERS_FINISHED.help).add(
        1,
        {
            "channel": channel,
            "outcome": outcome,
            "reason": reason.value if reason is not None else "none",
        },
    )


def order_left_status(meter: MetricMeter, *, status: OrderStatus, seconds: float) -> None:
    """An order left ``status`` after ``seconds`` in it."""
    meter.create_histogram_float(ORDER_STATUS_SECONDS.name, ORDER_STATUS_SECONDS.help).record(
        seconds, {"status": status.value}
    )


def task_sla_breached(meter: MetricMeter, *, kind: TaskKind) -> None:
    """A human task passed its first deadline and was escalated."""
    meter.create_counter(TASK_SLA_BREACHES.name, TASK_SLA_BREACHES.help).add(
        1, {"kind": kind.value}
    )
