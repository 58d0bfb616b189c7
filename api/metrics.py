"""The API's metrics (declared in oms.metrics), recorded in a registry of the app's own.

Each app has its own registry rather than prometheus_client's global one: two apps in one
process (tests make many) count apart, and ``GET /metrics`` shows the OMS's metrics only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oms.metrics import ATP_LOOKUP_SECONDS, HTTP_REQUEST_SECONDS, ORDERS_PLACED, Metric

# The route label of a request no route matched (a 404, or a request refused before routing):
# the raw path would give every mistyped URL a series of its own.
UNMATCHED = "unmatched"
# The method label of anything else: a client may send any token as a method.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"


def _counter(metric: Metric, registry: CollectorRegistry) -> Counter:
    if metric.kind != "counter" or metric.where != "api":
        raise ValueError(f"{metric.name} is not a counter of the API")
    return Counter(metric.name, metric.help, metric.labels, registry=registry)


def _histogram(metric: Metric, registry: CollectorRegistry) -> Histogram:
    if metric.kind != "histogram" or metric.where != "api":
        raise ValueError(f"{metric.name} is not a histogram of the API")
    return Histogram(
        metric.name, metric.help, metric.labels, registry=registry, buckets=metric.buckets
    )


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._orders_placed = _counter(ORDERS_PLACED, self.registry)
        self._atp_lookup = _histogram(ATP_LOOKUP_SECONDS, self.registry)
        self._http_request = _histogram(HTTP_REQUEST_SECONDS, self.registry)

    def order_placed(self, *, channel: str) -> None:
        self._orders_placed.labels(channel=channel).inc()

    @contextmanager
    def atp_lookup(self) -> Iterator[None]:
        """Times the block when it answers; a refused lookup (unknown channel, too many SKUs)
        is not one, and is counted by its HTTP status only."""
        start = time.perf_counter()
        yield
        self._atp_lookup.observe(time.perf_counter() - start)

    def http_request(self, *, route: str, method: str, code: int, seconds: float) -> None:
        method = method if method in METHODS else OTHER_METHOD
        self._http_request.labels(route=route, method=method, code=str(code)).observe(seconds)


def get_metrics(request: Request) -> ApiMetrics:
    metrics: ApiMetrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]


class HttpMetrics:
    """Times every HTTP request, ``GET /metrics`` included (a scrape shows the scrapes before
    it), from its start to the end of its answer, labelled with the route's path template."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the server answers when the app raises before answering

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting)
        except Exception:
            self._record(scope, status, start)
            raise
        self._record(scope, status, start)

    def _record(self, scope: Scope, status: int, start: float) -> None:
        # The router leaves the route it matched in the scope, or the one that matched the path
        # but not the method (a 405).
        route: BaseRoute | None = scope.get("route")
        template = getattr(route, "path_format", None) if route is not None else None
        self.metrics.http_request(
            route=template or UNMATCHED,
            method=scope["method"],
            code=status,
            seconds=time.perf_counter() - start,
        )
