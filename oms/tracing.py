"""Traces: one OpenTelemetry trace from an API request through Temporal to the activities.

Off unless ``OMS_OTLP_ENDPOINT`` is set (or a test installs an in-memory exporter). On, the
API app is instrumented and every Temporal client the OMS connects carries the SDK's tracing
interceptor, which the workers built from that client inherit: the trace context travels in
Temporal headers, so ``POST /orders``, the workflow start, the workflow run and its activities
share one trace. Off, nothing is instrumented and nothing is intercepted.

OpenTelemetry is imported only when tracing is on: workflows import ``oms.temporal`` inside the
sandbox, which would otherwise re-import it on every workflow run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from temporalio.client import Interceptor

    from oms.config import Settings

# The provider spans go to, once tracing is configured; None while tracing is off.
_provider: TracerProvider | None = None

# Probes and scrapes come every few seconds and say nothing about an order; the Temporal UI's
# decoding says nothing either, and its path may hold an API key (api/codec_access.py).
_UNTRACED_URLS = "/healthz$,/metrics$,/codec/"


def configure_tracing(settings: Settings, service_name: str) -> None:
    """Export spans over OTLP/HTTP when ``OMS_OTLP_ENDPOINT`` is set; else leave tracing off.

    Call once per process, before connecting to Temporal or creating the app. The usual
    ``OTEL_*`` variables (``OTEL_TRACES_SAMPLER``, ``OTEL_RESOURCE_ATTRIBUTES``) still apply.
    """
    global _provider
    if not settings.otlp_endpoint:
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = _new_provider(service_name)
    exporter = OTLPSpanExporter(endpoint=traces_url(settings.otlp_endpoint))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    # Global too, so that a span any other library starts lands in the same pipeline.
    trace.set_tracer_provider(provider)
    _provider = provider


def traces_url(endpoint: str) -> str:
    """The collector's base URL (``http://collector:4318``), as OTLP variables spell it, to the
    URL of its traces path; a URL that already names that path is kept."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


@contextmanager
def in_memory_tracing(service_name: str = "oms-test") -> Iterator[InMemorySpanExporter]:
    """Tracing on, into memory, for clients connected and apps created inside the block.

    The spans are exported as each one ends; the previous state comes back on exit.
    """
    global _provider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = _new_provider(service_name, shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    previous, _provider = _provider, provider
    try:
        yield exporter
    finally:
        _provider = previous
        provider.shutdown()


def temporal_interceptors() -> list[Interceptor]:
    """The Temporal client's interceptors: the SDK's tracing interceptor when tracing is on."""
    if _provider is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor(_provider.get_tracer("temporalio.contrib.opentelemetry"))]


def instrument_api(app: FastAPI) -> None:
    """One server span per request (a ``traceparent`` header continues the caller's trace),
    when tracing is on."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=_provider,
        excluded_urls=_UNTRACED_URLS,
        # A span per ASGI message adds nothing to the request's own span.
        exclude_spans=["receive", "send"],
    )


def _new_provider(service_name: str, *, shutdown_on_exit: bool = True) -> TracerProvider:
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider

    return TracerProvider(
        resource=Resource.create({SERVICE_NAME: service_name}), shutdown_on_exit=shutdown_on_exit
    )
