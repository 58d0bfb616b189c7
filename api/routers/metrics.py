"""Prometheus metrics: what the API counted and timed, for a scraper."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client.exposition import choose_encoder

from api.metrics import MetricsDep

router = APIRouter(tags=["metrics"])

TEXT = {"schema": {"type": "string"}}


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "Prometheus text format, or OpenMetrics when the Accept header asks",
            "content": {"text/plain": TEXT, "application/openmetrics-text": TEXT},
        }
    },
)
async def exposition(request: Request, metrics: MetricsDep) -> Response:
    """The OMS's metrics of this API process (docs/operations.md lists them). No API key:
    Prometheus scrapes it, and it holds no personal data, only counts and durations by
    channel, route and status."""
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(metrics.registry), media_type=content_type)
