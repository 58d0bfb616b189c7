"""Readiness, the API documentation, and how unknown routes answer."""

from __future__ import annotations

import httpx

from api.app import create_app
from oms.config import Settings
from tests.api.conftest import Api, error_of, order_body


async def test_health_answers_ok_when_the_database_and_temporal_answer(api: Api) -> None:
    response = await api.http.get("/healthz")

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok", "temporal": "ok"}


async def test_the_interactive_docs_are_served(api: Api) -> None:
    response = await api.http.get("/docs")

    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "/openapi.json" in response.text


async def test_the_openapi_document_lists_every_endpoint(api: Api) -> None:
    response = await api.http.get("/openapi.json")

    assert response.status_code == 200, response.text
    spec = response.json()
    paths = spec["paths"]
    expected = {
        "/healthz": {"get"},
        "/metrics": {"get"},
        "/keys": {"get", "post"},
        "/keys/me": {"get"},
        "/keys/{key_id}": {"delete"},
        "/keys/{key_id}/rotate": {"post"},
        "/codec/decode": {"post"},
        "/codec/encode": {"post"},
        "/fulfilment/profiles": {"get", "post"},
        "/fulfilment/profiles/in-force": {"get"},
        "/fulfilment/profiles/validate": {"post"},
        "/fulfilment/profiles/{profile_id}/versions/{version}": {"get", "put"},
        "/fulfilment/profiles/{profile_id}/versions/{version}/publish": {"post"},
        "/fulfilment/profiles/{profile_id}/rollback": {"post"},
        "/fulfilment/profiles/{profile_id}/retire": {"post"},
        "/locations/{location_id}/pick-waves": {"get", "post"},
        "/locations/{location_id}/work": {"get"},
        "/pick-waves/{wave_id}": {"get"},
        "/pick-waves/{wave_id}/claim": {"post"},
        "/pick-waves/{wave_id}/picks": {"post"},
        "/pick-waves/{wave_id}/sort": {"post"},
        "/locations/{location_id}/bins": {"put"},
        "/products/barcodes": {"put"},
        "/products": {"get", "post"},
        "/products/{sku}": {"get", "put"},
        "/reason-codes": {"get"},
        "/reason-codes/{code}": {"get", "put", "delete"},
        "/orders": {"get", "post"},
        "/orders/{order_id}": {"get"},
        "/orders/{order_id}/cancel": {"post"},
        "/orders/{order_id}/lines/{line_id}/cancel": {"post"},
        "/orders/{order_id}/delivery": {"patch"},
        "/orders/{order_id}/lines/{line_id}/services": {"post"},
        "/orders/{order_id}/sourcing": {"get"},
        "/orders/{order_id}/messages": {"get"},
        "/orders/{order_id}/messages/{message_id}": {"get"},
        "/orders/{order_id}/messages/{message_id}/resend": {"post"},
        "/orders/{order_id}/appeasements": {"get", "post"},
        "/orders/{order_id}/appeasements/{appeasement_id}": {"get"},
        "/tasks": {"get"},
        "/tasks/{task_id}": {"get"},
        "/tasks/{task_id}/complete": {"post"},
        "/tasks/{task_id}/claim": {"post"},
        "/tasks/{task_id}/release": {"post"},
        "/webhooks/senders": {"get"},
        "/fulfilments/{fulfilment_id}/label": {"get"},
        "/fulfilments/{fulfilment_id}": {"get"},
        "/orders/{order_id}/returns": {"get", "post"},
        "/returns/{return_id}": {"get"},
        "/returns/{return_id}/receive": {"post"},
        "/return-policies/{channel}": {"get", "put"},
        "/webhooks/senders/{sender}": {"put", "delete"},
        "/webhooks/carriers/{carrier}": {"post"},
        "/webhooks/payments/{gateway}": {"post"},
        "/webhooks/wms": {"post"},
        "/webhooks/pos": {"post"},
        "/webhooks/subscriptions": {"post", "get"},
        "/webhooks/subscriptions/{subscription_id}": {"get", "delete"},
        "/webhooks/subscriptions/{subscription_id}/rotate-secret": {"post"},
        "/webhooks/deliveries": {"get"},
        "/webhooks/deliveries/{delivery_id}/redeliver": {"post"},
        "/locations/{location_id}/fulfilments": {"get"},
        "/fulfilments/{fulfilment_id}/pick": {"post"},
        "/fulfilments/{fulfilment_id}/pack": {"post"},
        "/fulfilments/{fulfilment_id}/collected": {"post"},
        "/fulfilments/{fulfilment_id}/steps/{step}/complete": {"post"},
        "/fulfilments/{fulfilment_id}/steps/{step}/skip": {"post"},
        "/fulfilments/{fulfilment_id}/handover": {"post"},
        "/fulfilments/{fulfilment_id}/collect": {"post"},
        "/fulfilments/{fulfilment_id}/receive": {"post"},
        "/fulfilments/{fulfilment_id}/scans": {"post"},
        "/inventory/positions": {"post"},
        "/inventory/deltas": {"post"},
        "/inventory/{sku}": {"get"},
        "/inventory/syncs": {"get", "post"},
        "/inventory/syncs/{sync_id}": {"get"},
        "/inventory/syncs/{sync_id}/errors": {"get"},
        "/locations": {"get", "post"},
        "/locations/{location_id}": {"patch", "delete"},
        "/networks": {"get", "post"},
        "/networks/{network_id}": {"patch", "delete"},
        "/channels": {"get", "post"},
        "/channels/{channel_id}": {"patch", "delete"},
        "/safety-rules": {"get", "post"},
        "/safety-rules/{rule_id}": {"get", "put", "delete"},
        "/exclusions": {"get", "post"},
        "/exclusions/{exclusion_id}": {"get", "delete"},
        "/availability": {"get"},
        "/availability/options": {"post"},
        "/recommendations/product/{sku}": {"get"},
        "/recommendations/cart": {"post"},
        "/sourcing/profiles": {"get"},
        "/sourcing/profiles/in-force": {"get"},
        "/sourcing/profiles/validate": {"post"},
        "/sourcing/profiles/{profile_id}/versions": {"post"},
        "/sourcing/profiles/{profile_id}/versions/{version}": {"get", "put"},
        "/sourcing/profiles/{profile_id}/versions/{version}/publish": {"post"},
        "/sourcing/profiles/{profile_id}/rollback": {"post"},
        "/sourcing/profiles/{profile_id}/retire": {"post"},
        "/sourcing/simulate": {"post"},
        "/sourcing/replay": {"post"},
        "/availability/events": {"get"},
        "/carts/{cart_id}/hold": {"get", "put", "delete"},
    }
    assert {path: set(ops) for path, ops in paths.items()} == expected
    assert set(paths["/orders"]["post"]["responses"]) >= {"200", "201", "409", "422"}
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


async def test_an_unknown_path_is_404_in_the_error_shape(api: Api) -> None:
    response = await api.http.get("/nothing-here", headers=api.auth("admin"))

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


async def test_a_wrong_method_is_405_in_the_error_shape(api: Api) -> None:
    response = await api.http.delete("/orders", headers=api.auth("admin"))

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


async def test_without_temporal_health_is_degraded_and_orders_are_unavailable(api: Api) -> None:
    # The same database, but an app that has not connected to Temporal (yet).
    app = create_app(Settings(task_queue=api.harness.task_queue), db=api.db, client=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://oms") as http:
        health = await http.get("/healthz")
        placed = await http.post("/orders", json=order_body(), headers=api.auth("storefront"))
        listed = await http.get("/orders", headers=api.auth("analyst"))

    assert health.status_code == 503
    assert health.json()["status"] == "degraded"
    assert health.json()["database"] == "ok"
    assert health.json()["temporal"].startswith("error")
    assert placed.status_code == 503, placed.text
    assert error_of(placed)["code"] == "unavailable"
    # Reading the read model needs no Temporal.
    assert listed.status_code == 200
