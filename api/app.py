"""The FastAPI application: storefronts, analysts, store staff and integrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from temporalio.client import Client

from api import errors, openapi
from api.codec_access import CodecCors, KeyInPath
from api.deps import identify
from api.edge import GuardBodies
from api.limits import RateLimiter
from api.media_types import json_bodies
from api.metrics import ApiMetrics, HttpMetrics
from api.routers import (
    appeasements,
    availability,
    carts,
    catalogue,
    channels,
    codec,
    console,
    fulfilment_profiles,
    fulfilment_steps,
    fulfilments,
    health,
    inventory,
    keys,
    locations,
    metrics,
    order_edits,
    order_messages,
    orders,
    pick_waves,
    products,
    reason_codes,
    recommendations,
    returns,
    rules,
    sourcing,
    sourcing_trials,
    stock_events,
    store_work,
    syncs,
    tasks,
    webhooks_in,
    webhooks_out,
    webhooks_payments,
    webhooks_pos,
    webhooks_wms,
)
from oms.config import Settings, get_settings
from oms.db.engine import Database
from oms.temporal import connect
from oms.tracing import instrument_api

DESCRIPTION = """
Order management on Temporal. Every call carries `Authorization: Bearer <API key>`; a key has
one role (storefront, analyst, store, integration, admin) and store keys one location.
Errors are `{"code", "field", "reason", "errors": [...]}` with a stable `code`.
"""

ROUTERS = (
    health.router,
    metrics.router,
    keys.router,
    orders.router,
    order_messages.router,
    order_edits.router,
    tasks.router,
    fulfilments.router,
    fulfilment_steps.router,
    fulfilment_profiles.router,
    pick_waves.router,
    store_work.router,
    catalogue.router,
    # After catalogue: /products/barcodes is not a SKU.
    products.router,
    # Before inventory: /inventory/syncs is not a SKU.
    syncs.router,
    inventory.router,
    locations.router,
    channels.router,
    rules.router,
    sourcing.router,
    sourcing_trials.router,
    codec.router,
    # Before availability: its own paths must not swallow /availability/events.
    stock_events.router,
    availability.router,
    carts.router,
    recommendations.router,
    reason_codes.router,
    webhooks_in.router,
    webhooks_payments.router,
    webhooks_wms.router,
    webhooks_pos.router,
    webhooks_out.router,
    returns.router,
    appeasements.router,
    console.router,
)


def create_app(
    settings: Settings | None = None, *, db: Database | None = None, client: Client | None = None
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_db = app.state.db is None
        if own_db:
            app.state.db = Database(settings.db_url)
        if app.state.temporal is None:
            # Lazily: the API starts, stores orders and serves reads while Temporal is away.
            app.state.temporal = await connect(settings, lazy=True)
        yield
        if own_db:
            app.state.db.dispose()

    app = FastAPI(
        title="OMS",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Every route: a JSON body sent as another content type is 415 (api.media_types).
        dependencies=[Depends(json_bodies)],
    )
    app.state.settings = settings
    app.state.db = db
    app.state.temporal = client
    app.state.metrics = ApiMetrics()
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute)
    errors.install(app)
    app.add_middleware(GuardBodies, max_bytes=settings.max_body_bytes, identify=identify)
    # Outside the edge: the Temporal UI's preflights need no key, and its refusals (401, 413)
    # must carry CORS headers for the UI to read them.
    app.add_middleware(CodecCors, origins=settings.codec_origins)
    # Outside the rest: it sees the status of every answer, RefuseNul's included.
    app.add_middleware(HttpMetrics, metrics=app.state.metrics)
    if settings.codec_key_in_path:
        # Outermost: the edge and the metrics see /codec/decode with its key as a header.
        app.add_middleware(KeyInPath)
    for router in ROUTERS:
        app.include_router(router)
    openapi.install(app, ROUTERS)
    instrument_api(app)
    return app
