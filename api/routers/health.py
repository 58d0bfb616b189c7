"""Liveness and readiness: the database and Temporal both answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from api.deps import get_db

router = APIRouter(tags=["health"])
# How long Temporal has to answer the probe (with retries) before the API says it is degraded.
HEALTH_TIMEOUT = timedelta(seconds=3)


@router.get(
    "/healthz",
    responses={503: {"description": "Degraded: the database or Temporal does not answer"}},
)
async def healthz(request: Request) -> Any:
    checks: dict[str, str] = {}
    db = get_db(request)

    def ping() -> None:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await run_in_threadpool(ping)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    client = request.app.state.temporal
    try:
        if client is None:
            raise RuntimeError("not connected")
        # Retried within a bound: one transient blip (a busy server) is not an outage to report
        # to a load balancer, and the probe never hangs.
        await client.service_client.check_health(retry=True, timeout=HEALTH_TIMEOUT)
        checks["temporal"] = "ok"
    except Exception as exc:
        checks["temporal"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "degraded", **checks}, status_code=200 if ok else 503
    )
