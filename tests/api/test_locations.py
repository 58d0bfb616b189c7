"""Locations as an admin manages them, and what closing one does to new orders."""

from __future__ import annotations

from tests.api.conftest import Api, error_of, order_body

DARK_STORE = {
    "id": "DS-PARIS-11",
    "name": "Dark store Paris 11",
    "type": "dark_store",
    "country": "FR",
    "lat": 48.859,
    "lon": 2.38,
    "daily_capacity": 400,
}


async def test_an_admin_creates_lists_and_updates_a_dark_store(api: Api) -> None:
    admin = api.auth("admin")
    created = await api.http.post("/locations", json=DARK_STORE, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/locations/DS-PARIS-11"

    listed = await api.http.get("/locations?type=dark_store", headers=api.auth("integration"))
    assert [loc["id"] for loc in listed.json()["items"]] == ["DS-PARIS-11"]

    patched = await api.http.patch(
        "/locations/DS-PARIS-11", json={"daily_capacity": 250}, headers=admin
    )
    assert patched.status_code == 200
    assert (patched.json()["daily_capacity"], patched.json()["name"]) == (
        250,
        "Dark store Paris 11",
    )


async def test_creating_a_location_twice_or_with_a_bad_type_is_refused(api: Api) -> None:
    admin = api.auth("admin")
    await api.http.post("/locations", json=DARK_STORE, headers=admin)

    again = await api.http.post("/locations", json=DARK_STORE, headers=admin)
    bad = await api.http.post(
        "/locations", json={**DARK_STORE, "id": "X1", "type": "shop"}, headers=admin
    )
    unknown = await api.http.patch("/locations/NOPE", json={"is_open": False}, headers=admin)

    assert (again.status_code, error_of(again)["code"]) == (409, "location_exists")
    assert (bad.status_code, error_of(bad)["field"]) == (422, "type")
    assert (unknown.status_code, error_of(unknown)["code"]) == (404, "location_not_found")


async def test_only_admins_change_locations(api: Api) -> None:
    r = await api.http.post("/locations", json=DARK_STORE, headers=api.auth("integration"))
    assert r.status_code == 403


async def test_a_closed_store_gets_no_new_work_and_cannot_be_chosen_for_collection(
    api: Api,
) -> None:
    closed = await api.http.patch(
        "/locations/ST-OPERA", json={"is_open": False}, headers=api.auth("admin")
    )
    assert closed.status_code == 200

    collect = order_body(delivery={"method": "collect", "store_id": "ST-OPERA"})
    refused = await api.http.post("/orders", json=collect, headers=api.auth("storefront"))
    assert (refused.status_code, error_of(refused)["code"]) == (422, "store_closed")

    body = order_body()  # stock is only at the Opéra store in these tests
    await api.place(body)
    view = await api.until(body["id"], lambda v: v["status"] == "CANCELLED")
    assert view["cancel_reason"] == "out_of_stock"
