"""An address sent without coordinates, as storefronts send them: its postal code places it,
sourcing ships from near it and says so; half a point is refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error_of, order_body

Json = dict[str, Any]

# 12 rue de Rivoli, Paris 4e, without lat/lon: the centre of France, where the address used to
# be placed, is nearer Lyon (209 km) than the Paris stores (252 km).
RIVOLI = {
    "name": "Alice",
    "line1": "12 rue de Rivoli",
    "city": "Paris",
    "postal_code": "75004",
    "country": "FR",
}


def shipped(**address: Any) -> Json:
    return {"method": "ship", "address": {**RIVOLI, **address}}


async def stock_lyon_too(api: Api) -> None:
    """The Lyon store holds the cart as the Opéra store does (the fixtures stock only it)."""
    r = await api.http.post(
        "/inventory/positions",
        json={
            "rows": [
                {"sku": sku, "location_id": "ST-LYON", "on_hand": 50}
                for sku in ("SKU-TEE", "SKU-MUG")
            ]
        },
        headers=api.auth("integration"),
    )
    assert r.json()["applied"] == 2, r.text


async def test_a_paris_order_with_only_a_postal_code_ships_from_paris_and_says_why(
    api: Api,
) -> None:
    await stock_lyon_too(api)
    body = order_body(delivery=shipped())

    await api.place(body)
    view = await api.until(body["id"], lambda b: bool(b["sourcing"]))

    assert view["sourcing"][0]["locations"] == ["ST-OPERA"]
    r = await api.http.get(f"/orders/{body['id']}/sourcing", headers=api.auth("analyst"))
    why = r.json()["decisions"][0]["explanation"]
    assert why["destination"] == {
        "lat": 48.857,
        "lon": 2.352,
        "source": "postal_area",
        "area": "FR-75",
    }
    distance = {c["location_id"]: c["scores"]["distance"] for c in why["candidates"]}
    assert distance["ST-OPERA"] < 5
    assert distance["ST-LYON"] > 350


async def test_the_simulated_plan_names_the_postal_area_or_the_coordinates(api: Api) -> None:
    await stock_lyon_too(api)

    async def simulate(delivery: Json) -> Json:
        r = await api.http.post(
            "/sourcing/simulate",
            json={"order": order_body(delivery=delivery)},
            headers=api.auth("analyst"),
        )
        assert r.status_code == 200, r.text
        out: Json = r.json()
        return out

    by_code = await simulate(shipped())
    assert by_code["plan"]["locations"] == ["ST-OPERA"]
    assert (
        by_code["explanation"]["destination"]["source"],
        by_code["explanation"]["destination"]["area"],
    ) == (
        "postal_area",
        "FR-75",
    )
    # Coordinates sent win over the postal code: a Lyon point ships from Lyon.
    by_point = await simulate(shipped(lat=45.76, lon=4.84))
    assert by_point["plan"]["locations"] == ["ST-LYON"]
    assert by_point["explanation"]["destination"] == {
        "lat": 45.76,
        "lon": 4.84,
        "source": "coordinates",
        "area": None,
    }
    # A code that places nothing: the country's centre, and the explanation says so.
    unknown = await simulate(shipped(postal_code="00000"))
    assert unknown["explanation"]["destination"]["source"] == "country"
    assert unknown["explanation"]["destination"]["area"] == "FR"


@pytest.mark.parametrize(
    ("coordinates", "missing"),
    [({"lat": 48.85}, "lon"), ({"lon": 2.35}, "lat")],
)
async def test_half_a_point_is_refused_at_the_missing_coordinate(
    api: Api, coordinates: Json, missing: str
) -> None:
    r = await api.http.post(
        "/orders", json=order_body(delivery=shipped(**coordinates)), headers=api.auth("storefront")
    )
    assert r.status_code == 422, r.text
    error = error_of(r)
    assert (error["code"], error["field"]) == ("required", f"delivery.address.{missing}")
    assert "postal code" in error["reason"]

    sim = await api.http.post(
        "/sourcing/simulate",
        json={"order": order_body(delivery=shipped(**coordinates))},
        headers=api.auth("analyst"),
    )
    assert (sim.status_code, error_of(sim)["field"]) == (422, f"order.delivery.address.{missing}")

    options = await api.http.post(
        "/availability/options",
        json={
            "channel": "web-fr",
            "lines": [{"sku": "SKU-TEE", "quantity": 1}],
            "destination": {"country": "FR", **coordinates},
        },
        headers=api.auth("storefront"),
    )
    assert (options.status_code, error_of(options)["field"]) == (422, f"destination.{missing}")

    placed = order_body()
    await api.place(placed)
    move = await api.http.patch(
        f"/orders/{placed['id']}/delivery",
        json={"address": {**RIVOLI, **coordinates}},
        headers=api.auth("analyst"),
    )
    assert (move.status_code, error_of(move)["field"]) == (422, f"address.{missing}")


async def test_coordinates_out_of_range_are_refused(api: Api) -> None:
    body = {**order_body(), "delivery": shipped(lat=91, lon=2.35)}
    r = await api.http.post("/orders", json=body, headers=api.auth("storefront"))
    error = error_of(r)
    assert (r.status_code, error["code"], error["field"]) == (
        422,
        "out_of_range",
        "delivery.address.lat",
    )


async def test_cart_options_rank_by_the_postal_code_when_no_point_is_sent(api: Api) -> None:
    await stock_lyon_too(api)
    admin = api.auth("admin")
    everywhere = ["WH-PARIS", "ST-OPERA", "ST-BASTILLE", "ST-LYON"]
    network = {"id": "FR", "name": "France", "locations": everywhere}
    assert (await api.http.post("/networks", json=network, headers=admin)).status_code == 201
    channel = {"id": "web-fr", "name": "Web France", "market": "FR", "network_id": "FR"}
    assert (await api.http.post("/channels", json=channel, headers=admin)).status_code == 201
    r = await api.http.post(
        "/availability/options",
        json={
            "channel": "web-fr",
            "lines": [{"sku": "SKU-TEE", "quantity": 1}],
            "destination": {"postal_code": "69002"},
        },
        headers=api.auth("storefront"),
    )
    assert r.status_code == 200, r.text
    nearest = r.json()["ship_from"][0]
    assert nearest["location_id"] == "ST-LYON"
    assert nearest["distance_km"] < 5
