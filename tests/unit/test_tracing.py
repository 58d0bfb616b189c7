"""When tracing is on, and where spans go."""

from __future__ import annotations

from api.app import create_app
from oms.config import Settings
from oms.tracing import configure_tracing, in_memory_tracing, temporal_interceptors, traces_url


def _instrumented(settings: Settings) -> bool:
    return bool(getattr(create_app(settings), "_is_instrumented_by_opentelemetry", False))


def test_without_an_endpoint_neither_the_api_nor_temporal_is_traced() -> None:
    settings = Settings(otlp_endpoint=None)
    configure_tracing(settings, "oms-api")
    assert temporal_interceptors() == []
    assert not _instrumented(settings)


def test_while_tracing_is_on_the_api_and_temporal_clients_are_traced_and_after_it_no_more() -> None:
    settings = Settings(otlp_endpoint=None)
    with in_memory_tracing():
        assert [type(i).__name__ for i in temporal_interceptors()] == ["TracingInterceptor"]
        assert _instrumented(settings)
    assert temporal_interceptors() == []
    assert not _instrumented(settings)


def test_the_collector_url_gets_the_traces_path_once() -> None:
    assert traces_url("http://collector:4318") == "http://collector:4318/v1/traces"
    assert traces_url("http://collector:4318/") == "http://collector:4318/v1/traces"
    assert traces_url("https://otel.example/v1/traces") == "https://otel.example/v1/traces"
