"""Availability as a storefront sees it, with the rules and exclusions an admin sets."""

from __future__ import annotations

from typing import Any

from oms.db.inventory import adjust, reserve
from oms.domain.sourcing import Allocation
from tests.api.conftest import Api, error_of, order_body

# The api fixture stocks 100 of every SKU at ST-OPERA; tests set the figures they rely on.
STORES = ["ST-OPERA", "ST-BASTILLE", "ST-LYON"]
EVERYWHERE = ["WH-PARIS", *STORES]

Json = dict[str, Any]


async def admin_post(api: Api, url: str, body: Json, status: int = 201) -> Json:
    r = await api.http.post(url, json=body, headers=api.auth("admin"))
    assert r.status_code == status, r.text
    out: Json = r.json()
    return out


async def set_stock(api: Api, stock: dict[tuple[str, str], int]) -> None:
    rows = [{"sku": sku, "location_id": loc, "on_hand": n} for (sku, loc), n in stock.items()]
    r = await api.http.post(
        "/inventory/positions", json={"rows": rows}, headers=api.auth("integration")
    )
    assert r.json()["applied"] == len(rows), r.text


async def web_fr(api: Api, locations: list[str], **channel: Any) -> None:
    await admin_post(api, "/networks", {"id": "FR", "name": "France", "locations": locations})
    await admin_post(
        api,
        "/channels",
        {"id": "web-fr", "name": "Web France", "market": "FR", "network_id": "FR", **channel},
    )


async def availability(api: Api, query: str, role: str = "storefront") -> Json:
    r = await api.http.get(f"/availability?{query}", headers=api.auth(role))
    assert r.status_code == 200, r.text
    body: Json = r.json()
    return body


def item(body: Json, sku: str) -> Json:
    found: Json = next(i for i in body["items"] if i["sku"] == sku)
    return found


async def test_the_worked_example_through_the_api(api: Api) -> None:
    # 100 tees across 4 stores, 5 safety stock at each store, a channel buffer of 10 and 50
    # reserved: 20 to promise.
    await admin_post(
        api,
        "/locations",
        {
            "id": "ST-LILLE",
            "name": "Lille",
            "type": "store",
            "country": "FR",
            "lat": 50.63,
            "lon": 3.06,
        },
    )
    stores = [*STORES, "ST-LILLE"]
    await web_fr(api, stores, buffer={"quantity": 10})
    await set_stock(api, {("SKU-TEE", s): 25 for s in stores})
    await admin_post(
        api,
        "/safety-rules",
        {"id": "stores-5", "scope": "location_type", "location_type": "store", "quantity": 5},
    )
    with api.db.session() as s:
        reserve(
            s,
            order_id="O-50",
            step_key="O-50:reserve",
            allocations=[
                Allocation(location_id=st, line_id="1", sku="SKU-TEE", qty=n)
                for st, n in zip(stores, (20, 20, 10, 0), strict=True)
                if n
            ],
        )

    body = await availability(api, "channel=web-fr&skus=SKU-TEE&breakdown=true&explain=true")
    tee = item(body, "SKU-TEE")
    assert tee["atp"] == 20
    assert {s["location_id"]: s["atp"] for s in tee["locations"]} == {
        "ST-LYON": 10,
        "ST-LILLE": 20,
    }  # Opéra and Bastille: 25 - 20 - 5 = 0, left out of the breakdown
    terms = tee["explanation"]
    assert (terms["network_atp"], terms["buffer"], terms["buffer_rule"]) == (
        30,
        10,
        "channel-buffer:web-fr",
    )
    opera = next(t for t in terms["locations"] if t["location_id"] == "ST-OPERA")
    assert (opera["on_hand"], opera["reserved"], opera["safety"], opera["safety_rule"]) == (
        25,
        20,
        5,
        "stores-5",
    )
    assert "network 30 - buffer 10" in terms["text"]


async def test_quarantined_units_are_shown_apart_and_never_counted_as_available(
    api: Api,
) -> None:
    # Given 10 mugs at Bastille, 3 of them set apart by a reason code's quarantine effect
    await web_fr(api, STORES)
    await set_stock(api, {("SKU-MUG", "ST-BASTILLE"): 10, ("SKU-MUG", "ST-OPERA"): 0})
    with api.db.session() as s:
        assert adjust(s, "SKU-MUG", "ST-BASTILLE", on_hand=-3, quarantined=3)

    # Then the channel promises the 7 left, and its explanation shows the 3 apart
    body = await availability(api, "channel=web-fr&skus=SKU-MUG&explain=true", role="analyst")
    mug = item(body, "SKU-MUG")
    bastille = next(t for t in mug["explanation"]["locations"] if t["location_id"] == "ST-BASTILLE")
    assert (mug["atp"], bastille["on_hand"], bastille["quarantined"]) == (7, 7, 3)
    # And the SKU's positions show them per location and in all, outside on hand and atp
    r = await api.http.get("/inventory/SKU-MUG", headers=api.auth("integration"))
    positions = r.json()
    at_bastille = next(p for p in positions["locations"] if p["location_id"] == "ST-BASTILLE")
    assert (at_bastille["on_hand"], at_bastille["quarantined"], at_bastille["atp"]) == (7, 3, 7)
    assert (positions["quarantined"], positions["on_hand"], positions["atp"]) == (3, 7, 7)
    assert "3 quarantined, not counted" in at_bastille["explanation"]
    # A store key reads no inventory (its own work only)
    refused = await api.http.get("/inventory/SKU-MUG", headers=api.auth("opera"))
    assert refused.status_code == 403


async def test_rules_and_exclusions_count_from_the_next_request(api: Api) -> None:
    await web_fr(api, EVERYWHERE)
    await set_stock(api, {("SKU-PHONE", loc): 10 for loc in EVERYWHERE})
    assert item(await availability(api, "channel=web-fr&skus=SKU-PHONE"), "SKU-PHONE")["atp"] == 40

    await admin_post(
        api,
        "/safety-rules",
        {"id": "phones", "scope": "sku", "sku": "SKU-PHONE", "percent": 25},
    )  # 25% of 10 is 2.5, rounded up to 3 at each location
    assert item(await availability(api, "channel=web-fr&skus=SKU-PHONE"), "SKU-PHONE")["atp"] == 28

    await admin_post(
        api,
        "/exclusions",
        {"id": "no-lyon", "channel": "web-fr", "location_id": "ST-LYON"},
    )
    assert item(await availability(api, "channel=web-fr&skus=SKU-PHONE"), "SKU-PHONE")["atp"] == 21

    await admin_post(
        api, "/exclusions", {"id": "no-electronics", "market": "FR", "category": "electronics"}
    )
    body = await availability(api, "channel=web-fr&skus=SKU-PHONE,SKU-MUG&explain=true")
    phone = item(body, "SKU-PHONE")
    assert phone["atp"] == 0
    assert phone["explanation"]["excluded_by"] == "no-electronics"
    assert item(body, "SKU-MUG")["explanation"]["excluded_by"] is None

    deleted = await api.http.delete("/exclusions/no-electronics", headers=api.auth("admin"))
    assert deleted.status_code == 204
    assert item(await availability(api, "channel=web-fr&skus=SKU-PHONE"), "SKU-PHONE")["atp"] == 21


async def test_closing_a_store_and_changing_the_network_count_at_once(api: Api) -> None:
    await web_fr(api, STORES)
    await set_stock(api, {("SKU-MUG", loc): 5 for loc in EVERYWHERE})
    assert item(await availability(api, "channel=web-fr&skus=SKU-MUG"), "SKU-MUG")["atp"] == 15

    r = await api.http.patch(
        "/locations/ST-OPERA", json={"is_open": False}, headers=api.auth("admin")
    )
    assert r.status_code == 200
    assert item(await availability(api, "channel=web-fr&skus=SKU-MUG"), "SKU-MUG")["atp"] == 10

    r = await api.http.patch(
        "/networks/FR", json={"locations": ["WH-PARIS", "ST-LYON"]}, headers=api.auth("admin")
    )
    assert r.status_code == 200
    assert item(await availability(api, "channel=web-fr&skus=SKU-MUG"), "SKU-MUG")["atp"] == 10

    r = await api.http.patch(
        "/channels/web-fr", json={"buffer": {"percent": 50}}, headers=api.auth("admin")
    )
    assert r.json()["buffer"] == {"quantity": None, "percent": 50.0}
    assert item(await availability(api, "channel=web-fr&skus=SKU-MUG"), "SKU-MUG")["atp"] == 5


async def test_a_batch_lists_unknown_skus_apart_and_refuses_more_than_500(api: Api) -> None:
    await web_fr(api, EVERYWHERE, low_stock=3)
    await set_stock(api, {("SKU-TEE", "WH-PARIS"): 3, ("SKU-TEE", "ST-OPERA"): 0})
    body = await availability(api, "channel=web-fr&skus=SKU-TEE&skus=NOPE,SKU-MUG,SKU-TEE")
    assert [i["sku"] for i in body["items"]] == ["SKU-TEE", "SKU-MUG"]
    assert body["unknown_skus"] == ["NOPE"]
    assert (item(body, "SKU-TEE")["low_stock"], item(body, "SKU-MUG")["low_stock"]) == (
        True,
        False,
    )
    assert "locations" not in item(body, "SKU-TEE")  # no breakdown unless asked

    many = ",".join(f"S{i}" for i in range(501))
    r = await api.http.get(
        f"/availability?channel=web-fr&skus={many}", headers=api.auth("storefront")
    )
    assert (r.status_code, error_of(r)["code"], error_of(r)["field"]) == (
        422,
        "too_many_skus",
        "skus",
    )
    r = await api.http.get("/availability?channel=nope&skus=SKU-TEE", headers=api.auth("analyst"))
    assert (r.status_code, error_of(r)["code"]) == (404, "channel_not_found")
    r = await api.http.get("/availability?channel=web-fr&skus=,", headers=api.auth("analyst"))
    assert (r.status_code, error_of(r)["field"]) == (422, "skus")
    r = await api.http.get("/availability?channel=web-fr&skus=SKU-TEE")
    assert r.status_code == 401


async def test_safety_rules_are_validated_and_managed_by_admins_only(api: Api) -> None:
    missing = await admin_post(
        api, "/safety-rules", {"id": "r1", "scope": "sku", "quantity": 2}, status=422
    )
    assert "needs sku" in missing["reason"]
    both = await admin_post(
        api,
        "/safety-rules",
        {"id": "r1", "scope": "sku", "sku": "SKU-TEE", "quantity": 2, "percent": 5},
        status=422,
    )
    assert "exactly one" in both["reason"]
    unknown = await admin_post(
        api,
        "/safety-rules",
        {"id": "r1", "scope": "location", "location_id": "NOWHERE", "quantity": 2},
        status=422,
    )
    assert (unknown["code"], unknown["field"]) == ("location_not_found", "location_id")

    rule = {"id": "r1", "scope": "sku_at_location", "sku": "SKU-TEE", "location_id": "ST-LYON"}
    await admin_post(api, "/safety-rules", {**rule, "quantity": 2})
    again = await admin_post(api, "/safety-rules", {**rule, "quantity": 3}, status=409)
    assert again["code"] == "already_exists"
    r = await api.http.put(
        "/safety-rules/r1",
        json={"scope": "category", "category": "home", "percent": 10, "note": "fragile"},
        headers=api.auth("admin"),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["scope"], r.json()["percent"], r.json()["sku"]) == ("category", 10.0, None)
    listed = await api.http.get("/safety-rules?scope=category", headers=api.auth("storefront"))
    assert [x["id"] for x in listed.json()["items"]] == ["r1"]

    forbidden = await api.http.post(
        "/safety-rules",
        json={**rule, "id": "r2", "quantity": 1},
        headers=api.auth("integration"),
    )
    assert forbidden.status_code == 403
    assert (await api.http.delete("/safety-rules/r1", headers=api.auth("admin"))).status_code == 204
    gone = await api.http.get("/safety-rules/r1", headers=api.auth("admin"))
    assert (gone.status_code, error_of(gone)["code"]) == (404, "rule_not_found")

    vague = await admin_post(api, "/exclusions", {"id": "x", "sku": "SKU-TEE"}, status=422)
    assert "channel or a market" in vague["reason"]


async def test_fulfilment_options_for_a_cart(api: Api) -> None:
    await web_fr(api, EVERYWHERE)
    await set_stock(
        api,
        {
            ("SKU-TEE", "WH-PARIS"): 10,
            ("SKU-MUG", "WH-PARIS"): 10,
            ("SKU-TEE", "ST-BASTILLE"): 2,
            ("SKU-MUG", "ST-BASTILLE"): 1,
            ("SKU-TEE", "ST-LYON"): 5,
            ("SKU-MUG", "ST-LYON"): 5,
            ("SKU-TEE", "ST-OPERA"): 5,
            ("SKU-MUG", "ST-OPERA"): 0,
        },
    )
    cart = [{"sku": "SKU-TEE", "quantity": 2}, {"sku": "SKU-MUG", "quantity": 1}]
    r = await api.http.post(
        "/availability/options",
        json={
            "channel": "web-fr",
            "lines": cart,
            "destination": {"country": "FR", "lat": 48.8566, "lon": 2.3522},
            "pickup_store_id": "ST-OPERA",
        },
        headers=api.auth("storefront"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [o["location_id"] for o in body["ship_from"]] == ["ST-BASTILLE", "WH-PARIS", "ST-LYON"]
    assert [o["location_id"] for o in body["collect_at"]] == ["ST-BASTILLE", "ST-LYON"]
    assert body["pickup_store"]["lines"] == [
        {"sku": "SKU-TEE", "quantity": 2, "atp": 5},
        {"sku": "SKU-MUG", "quantity": 1, "atp": 0},
    ]
    assert body["can_ship_split"] is True
    assert body["lines"] == [
        {"sku": "SKU-TEE", "quantity": 2, "channel_atp": 22},
        {"sku": "SKU-MUG", "quantity": 1, "channel_atp": 16},
    ]

    # A channel buffer the cart would eat into: nothing is offered, wherever the stock is.
    await api.http.patch(
        "/channels/web-fr", json={"buffer": {"quantity": 16}}, headers=api.auth("admin")
    )
    r = await api.http.post(
        "/availability/options",
        json={"channel": "web-fr", "lines": cart},
        headers=api.auth("storefront"),
    )
    assert (r.json()["ship_from"], r.json()["can_ship_split"]) == ([], False)

    bad = await api.http.post(
        "/availability/options",
        json={"channel": "web-fr", "lines": [{"sku": "NOPE", "quantity": 1}]},
        headers=api.auth("storefront"),
    )
    assert (bad.status_code, error_of(bad)["field"]) == (422, "lines[0].sku")
    not_store = await api.http.post(
        "/availability/options",
        json={"channel": "web-fr", "lines": cart, "pickup_store_id": "WH-PARIS"},
        headers=api.auth("storefront"),
    )
    assert (not_store.status_code, error_of(not_store)["code"]) == (422, "unknown_store")


async def test_an_order_for_a_product_not_sold_in_its_channel_is_refused(api: Api) -> None:
    await web_fr(api, EVERYWHERE)
    await admin_post(api, "/exclusions", {"id": "no-home", "channel": "web-fr", "category": "home"})
    body = order_body()  # two tees and a mug (home)
    r = await api.http.post("/orders", json=body, headers=api.auth("storefront"))
    assert r.status_code == 422, r.text
    assert (error_of(r)["code"], error_of(r)["field"]) == ("not_sold_in_channel", "lines[1].sku")
    # Other channels, and the same channel once the exclusion is gone, take it.
    assert (
        await api.http.delete("/exclusions/no-home", headers=api.auth("admin"))
    ).status_code == 204
    r = await api.http.post("/orders", json=body, headers=api.auth("storefront"))
    assert r.status_code == 201, r.text
