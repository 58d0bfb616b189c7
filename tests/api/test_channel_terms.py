"""What a channel sells in and into: an order in another currency than its channel's is
refused, a market is a country, and a number in an order is never true or false."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, error_of, order_body

Json = dict[str, Any]


async def _channel(api: Api, channel_id: str, **fields: Any) -> Json:
    admin = api.auth("admin")
    net = await api.http.post(
        "/networks", headers=admin, json={"id": f"N-{channel_id}", "name": "N", "locations": []}
    )
    assert net.status_code == 201, net.text
    body = {"id": channel_id, "name": channel_id, "market": "FR", "network_id": f"N-{channel_id}"}
    made = await api.http.post("/channels", headers=admin, json={**body, **fields})
    assert made.status_code == 201, made.text
    created: Json = made.json()
    return created


async def test_an_order_in_another_currency_than_its_channel_is_refused_at_currency(
    api: Api,
) -> None:
    created = await _channel(api, "web-fr", currency="EUR")

    answer = await api.http.post(
        "/orders", json=order_body(currency="USD"), headers=api.auth("storefront")
    )

    assert created["currency"] == "EUR"
    assert answer.status_code == 422, answer.text
    error = error_of(answer)
    assert (error["code"], error["field"]) == ("currency_mismatch", "currency")
    assert "EUR" in error["reason"]
    assert (
        await api.http.post("/orders", json=order_body(), headers=api.auth("storefront"))
    ).status_code == 201


async def test_a_channel_without_a_currency_takes_any_and_null_clears_it(api: Api) -> None:
    await _channel(api, "web-fr", currency="EUR")

    cleared = await api.http.patch(
        "/channels/web-fr", headers=api.auth("admin"), json={"currency": None}
    )
    answer = await api.http.post(
        "/orders", json=order_body(currency="USD"), headers=api.auth("storefront")
    )

    assert cleared.json()["currency"] is None
    assert answer.status_code == 201, answer.text


async def test_a_channels_currency_must_be_one_the_oms_knows(api: Api) -> None:
    await _channel(api, "web-fr")

    answer = await api.http.patch(
        "/channels/web-fr", headers=api.auth("admin"), json={"currency": "XXX"}
    )

    assert answer.status_code == 422, answer.text
    assert (error_of(answer)["code"], error_of(answer)["field"]) == ("unknown_currency", "currency")


async def test_a_market_is_an_iso_country_code(api: Api) -> None:
    await _channel(api, "web-be")
    admin = api.auth("admin")

    unknown = await api.http.patch("/channels/web-be", headers=admin, json={"market": "XX"})
    uk = await api.http.patch("/channels/web-be", headers=admin, json={"market": "UK"})
    belgium = await api.http.patch("/channels/web-be", headers=admin, json={"market": "BE"})
    exclusion = await api.http.post(
        "/exclusions",
        headers=admin,
        json={"id": "no-toys-in-eu", "market": "EU", "category": "apparel"},
    )

    assert unknown.status_code == 422, unknown.text
    assert (error_of(unknown)["code"], error_of(unknown)["field"]) == ("unknown_market", "market")
    assert "GB for UK" in error_of(uk)["reason"]
    assert belgium.json()["market"] == "BE"
    assert exclusion.status_code == 422, exclusion.text
    assert (error_of(exclusion)["code"], error_of(exclusion)["field"]) == (
        "unknown_market",
        "market",
    )


async def test_a_quantity_of_true_is_refused_not_read_as_one(api: Api) -> None:
    body = order_body()
    body["lines"][0]["quantity"] = True

    answer = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    assert answer.status_code == 422, answer.text
    error = error_of(answer)
    assert (error["code"], error["field"]) == ("invalid_type", "lines[0].quantity")


async def test_a_stock_figure_of_true_is_refused_in_its_row(api: Api) -> None:
    answer = await api.http.post(
        "/inventory/deltas",
        json={
            "deltas": [
                {"event_id": "e-1", "sku": "SKU-TEE", "location_id": "ST-OPERA", "delta": True}
            ]
        },
        headers=api.auth("integration"),
    )

    assert answer.status_code == 200, answer.text
    [error] = answer.json()["errors"]
    assert (error["index"], error["field"], error["code"]) == (0, "delta", "invalid_type")
