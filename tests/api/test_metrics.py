"""GET /metrics: what the API counted and timed, as Prometheus scrapes it."""

from __future__ import annotations

import httpx

from api.app import create_app
from oms.config import Settings
from tests.api.conftest import Api, order_body
from tests.prometheus import value


async def scrape(api: Api) -> str:
    # No API key: Prometheus has none.
    response = await api.http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_a_placed_order_is_counted_once_by_channel_and_its_requests_by_route(
    api: Api,
) -> None:
    body = order_body()
    await api.place(body)
    replay = await api.http.post("/orders", json=body, headers=api.auth("storefront"))
    assert replay.status_code == 200, replay.text

    text = await scrape(api)

    assert value(text, "oms_orders_placed_total", channel="web-fr") == 1.0
    placed = {"route": "/orders", "method": "POST"}
    assert value(text, "oms_http_request_seconds_count", **placed, code="201") == 1.0
    assert value(text, "oms_http_request_seconds_count", **placed, code="200") == 1.0


async def test_requests_are_labelled_by_route_template_never_by_raw_path(api: Api) -> None:
    order_id = "O-NO-SUCH-ORDER"
    missing = await api.http.get(f"/orders/{order_id}", headers=api.auth("analyst"))
    assert missing.status_code == 404
    assert (await api.http.get("/no/such/path")).status_code == 404
    odd = await api.http.request("BREW", "/orders", headers=api.auth("storefront"))
    assert odd.status_code == 405

    text = await scrape(api)

    by_template = {"route": "/orders/{order_id}", "method": "GET", "code": "404"}
    assert value(text, "oms_http_request_seconds_count", **by_template) == 1.0
    unmatched = {"route": "unmatched", "method": "GET", "code": "404"}
    assert value(text, "oms_http_request_seconds_count", **unmatched) == 1.0
    # Any token is a method to HTTP: the label keeps to the known ones.
    other = {"route": "/orders", "method": "other", "code": "405"}
    assert value(text, "oms_http_request_seconds_count", **other) == 1.0
    assert order_id not in text
    assert "/no/such/path" not in text


async def test_atp_lookups_are_timed_and_refused_ones_are_not(api: Api) -> None:
    admin = api.auth("admin")
    network = {"id": "FR", "name": "France", "locations": ["ST-OPERA"]}
    assert (await api.http.post("/networks", json=network, headers=admin)).status_code == 201
    channel = {"id": "web-fr", "name": "Web France", "market": "FR", "network_id": "FR"}
    assert (await api.http.post("/channels", json=channel, headers=admin)).status_code == 201
    shop = api.auth("storefront")

    one = await api.http.get("/availability?channel=web-fr&skus=SKU-TEE,SKU-MUG", headers=shop)
    assert one.status_code == 200, one.text
    cart = {"channel": "web-fr", "lines": [{"sku": "SKU-TEE", "quantity": 1}]}
    options = await api.http.post("/availability/options", json=cart, headers=shop)
    assert options.status_code == 200, options.text
    refused = await api.http.get("/availability?channel=nowhere&skus=SKU-TEE", headers=shop)
    assert refused.status_code == 404

    text = await scrape(api)

    assert value(text, "oms_atp_lookup_seconds_count") == 2.0
    assert value(text, "oms_atp_lookup_seconds_bucket", le="+Inf") == 2.0


async def test_each_app_counts_its_own_requests() -> None:
    first, second = create_app(Settings()), create_app(Settings())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=first), base_url="http://oms"
    ) as http:
        assert (await http.get("/no/such/path")).status_code == 404
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=second), base_url="http://oms"
    ) as http:
        text = (await http.get("/metrics")).text

    assert value(text, "oms_http_request_seconds_count", route="unmatched") is None
    assert value(text, "oms_atp_lookup_seconds_count") == 0.0
