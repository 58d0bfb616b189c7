"""Trying a sourcing profile out before it is in force: one order simulated, recent orders
replayed. Neither reserves nor records anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from oms.db import orders as order_repo
from oms.db.tables import InventoryPosition, SourcingDecision
from oms.domain.geo import GeoPoint, distance_km
from oms.domain.order import OrderIn
from tests.api.conftest import Api, collect_body, error_of, order_body
from tests.factories import LOCATIONS, PARIS

Json = dict[str, Any]

CENTRAL = {
    "channel": "web-fr",
    "description": "Ship from the warehouses; collections from their store",
    "strategies": [
        {"name": "collect", "conditions": {"delivery": ["collect"]}},
        {"name": "central", "filters": {"location_types": ["warehouse"]}},
    ],
    "fallback": {
        "name": "warehouse-or-backorder",
        "filters": {"location_types": ["warehouse"]},
        "split": {"unplaced": "backorder"},
    },
    "costs": {
        "warehouse": {"per_parcel": 300, "per_km": 1},
        "store": {"per_parcel": 500, "per_km": 2},
    },
}
# Orders cancel what no location can take, and only such a profile may be published today.
CENTRAL_CANCELS = {**CENTRAL, "fallback": {"name": "anywhere"}}
STORES_ONLY = {
    "strategies": [{"name": "stores", "filters": {"location_types": ["store"]}}],
    "fallback": {"name": "anywhere"},
}
WH_LYON = {"id": "WH-LYON", "type": "warehouse", "lat": 45.72, "lon": 4.9}
EVRY = {"lat": 48.63, "lon": 2.44}  # nearer the Paris warehouse than any store


def ship_to(point: dict[str, float]) -> Json:
    return {
        "method": "ship",
        "address": {
            "name": "Alice",
            "line1": "1 rue de la Gare",
            "city": "Somewhere",
            "postal_code": "91000",
            "country": "FR",
            **point,
        },
    }


def lines(*items: tuple[str, int]) -> list[Json]:
    return [
        {"line_id": str(i), "sku": sku, "quantity": qty, "unit_price": 1000}
        for i, (sku, qty) in enumerate(items, 1)
    ]


def km(location_id: str, to: dict[str, float]) -> float:
    loc = next(x for x in [*LOCATIONS, WH_LYON] if x["id"] == location_id)
    return distance_km(GeoPoint(lat=loc["lat"], lon=loc["lon"]), GeoPoint(**to))


async def stock(api: Api, rows: list[tuple[str, str, int]]) -> None:
    r = await api.http.post(
        "/inventory/positions",
        json={"rows": [{"sku": s, "location_id": loc, "on_hand": q} for s, loc, q in rows]},
        headers=api.auth("integration"),
    )
    assert r.json()["applied"] == len(rows), r.text


async def call(api: Api, url: str, body: Json, *, role: str = "admin", status: int = 200) -> Json:
    r = await api.http.post(url, json=body, headers=api.auth(role))
    assert r.status_code == status, r.text
    out: Json = r.json()
    return out


def reserved(api: Api) -> dict[tuple[str, str], int]:
    with api.db.session() as s:
        return {(p.sku, p.location_id): p.reserved for p in s.exec(select(InventoryPosition))}


def decisions(api: Api) -> int:
    with api.db.session() as s:
        return len(s.exec(select(SourcingDecision)).all())


async def test_a_simulated_order_gets_the_plan_a_real_one_then_gets_and_reserves_nothing(
    api: Api,
) -> None:
    await stock(api, [("SKU-TEE", "WH-PARIS", 50), ("SKU-MUG", "WH-PARIS", 50)])
    await call(api, "/sourcing/profiles/central/versions", CENTRAL_CANCELS, status=201)
    await call(api, "/sourcing/profiles/central/versions/1/publish", {})
    body = order_body()
    held = reserved(api)

    sim = await call(api, "/sourcing/simulate", {"order": body}, role="analyst")

    assert (sim["profile"], sim["profile_source"]) == ("central@v1", "in_force")
    assert sim["plan"]["locations"] == ["WH-PARIS"]
    assert sim["plan"]["strategy"] == sim["explanation"]["strategy"] == "central"
    assert sim["plan"]["unplaced"] == []
    assert sim["metrics"]["shipments"] == 1
    to_paris = km("WH-PARIS", PARIS)
    assert abs(sim["metrics"]["distance_km"] - to_paris) < 1e-3
    assert sim["metrics"]["cost"] == round(300 + to_paris)
    assert reserved(api) == held
    assert decisions(api) == 0

    await api.place(body)
    await api.until(body["id"], lambda b: bool(b["sourcing"]))
    r = await api.http.get(f"/orders/{body['id']}/sourcing", headers=api.auth("analyst"))
    real = r.json()["decisions"][0]
    assert real["profile"] == sim["profile"]
    assert real["explanation"]["allocations"] == sim["plan"]["allocations"]
    assert real["explanation"]["candidates"] == sim["explanation"]["candidates"]


async def test_a_draft_simulated_on_an_order_decides_as_the_draft_says(api: Api) -> None:
    await stock(api, [("SKU-TEE", "WH-PARIS", 50), ("SKU-MUG", "WH-PARIS", 50)])
    body = order_body()

    in_force = await call(api, "/sourcing/simulate", {"order": body})
    assert (in_force["profile"], in_force["plan"]["locations"]) == ("default@v1", ["ST-OPERA"])

    draft = await call(api, "/sourcing/simulate", {"order": body, "profile": CENTRAL})
    assert (draft["profile"], draft["profile_source"]) == ("draft@v1", "document")
    assert draft["plan"]["locations"] == ["WH-PARIS"]
    excluded = {g["filter"]: g["location_ids"] for g in draft["explanation"]["excluded"]}
    assert "ST-OPERA" in excluded["type"], excluded

    await call(api, "/sourcing/profiles/stores/versions", STORES_ONLY, status=201)
    ref = {
        "order": order_body(delivery=ship_to(EVRY)),
        "profile_ref": {"id": "stores", "version": 1},
    }
    stored = await call(api, "/sourcing/simulate", ref)
    assert (stored["profile"], stored["profile_source"]) == ("stores@v1", "stored")
    assert stored["plan"]["locations"] == ["ST-OPERA"]  # the default would ship from WH-PARIS

    # A collection is sourced from its store alone: the Bastille store has nothing, so the
    # draft's collect strategy places nothing there even though the Opéra store has it all.
    bastille = await call(
        api,
        "/sourcing/simulate",
        {"order": collect_body(store_id="ST-BASTILLE"), "profile": CENTRAL},
    )
    assert bastille["plan"]["allocations"] == []
    assert sum(d["qty"] for d in bastille["plan"]["unplaced"]) == 3
    assert bastille["plan"]["unplaced_action"] == "backorder"
    assert bastille["metrics"]["distance_km"] is None
    assert decisions(api) == 0

    # Unless the draft allows transfers to the store: the Opéra store then ships it there
    transferred = await call(
        api,
        "/sourcing/simulate",
        {
            "order": collect_body(store_id="ST-BASTILLE"),
            "profile": {**CENTRAL, "transfer_to_store": True},
        },
    )
    assert transferred["plan"]["locations"] == ["ST-OPERA"]
    assert transferred["plan"]["unplaced"] == []
    [note] = transferred["explanation"]["transfers"]
    assert (note["from_location"], note["to_store"]) == ("ST-OPERA", "ST-BASTILLE")
    assert transferred["explanation"]["transfer_to_store"] is True
    assert decisions(api) == 0


async def test_replaying_a_central_warehouse_draft_reports_the_differences_over_recent_orders(
    api: Api,
) -> None:
    admin = api.auth("admin")
    r = await api.http.post(
        "/locations", json={**WH_LYON, "name": "Lyon warehouse", "country": "FR"}, headers=admin
    )
    assert r.status_code == 201, r.text
    await stock(
        api,
        [("SKU-TEE", "WH-PARIS", 50), ("SKU-MUG", "WH-PARIS", 50), ("SKU-JEAN", "WH-LYON", 20)],
    )
    await call(api, "/sourcing/profiles/stores/versions", STORES_ONLY, status=201)
    # Orders as they were placed, oldest first, each with the profile it was sourced with
    # (None: no decision recorded, which counts as the built-in default).
    placed = [
        ("app", order_body(channel="app-fr"), "default", 1),
        ("tee-mug", order_body(), "default", 1),
        ("tee-jeans", order_body(lines=lines(("SKU-TEE", 1), ("SKU-JEAN", 1))), None, None),
        ("evry", order_body(lines=lines(("SKU-TEE", 1)), delivery=ship_to(EVRY)), "stores", 1),
        ("collect", collect_body(), "default", 1),
        ("phone", order_body(lines=lines(("SKU-PHONE", 1))), "default", 1),
    ]
    ids = {name: body["id"] for name, body, _, _ in placed}
    start = datetime.now(UTC) - timedelta(hours=1)
    with api.db.session() as s:
        for i, (_, body, profile_id, version) in enumerate(placed):
            order_repo.insert_order(
                s, OrderIn.model_validate(body), received_at=start + timedelta(minutes=i)
            )
            if profile_id is not None:
                s.add(
                    SourcingDecision(
                        step_key=f"{body['id']}:source:initial",
                        order_id=body["id"],
                        profile_id=profile_id,
                        profile_version=version,
                        strategy="as-placed",
                        explanation={},
                    )
                )
    held = reserved(api)

    out = await call(api, "/sourcing/replay", {"profile": CENTRAL, "last": 5})

    assert out["profile"] == "draft@v1"
    assert out["skipped"] == 0
    # Newest first, the unchanged collection left out.
    listed = [o["order_id"] for o in out["orders"]]
    assert listed == [ids["phone"], ids["evry"], ids["tee-jeans"], ids["tee-mug"]]
    assert out["more_changed"] == 0
    by_id = {o["order_id"]: o for o in out["orders"]}
    evry = by_id[ids["evry"]]
    # Sourced with the stores-only profile, it came from a store; the default would not have.
    assert (evry["sourced_with"], evry["before"]["locations"]) == ("stores@v1", ["ST-OPERA"])
    assert evry["after"]["locations"] == ["WH-PARIS"]
    jeans = by_id[ids["tee-jeans"]]
    assert (jeans["sourced_with"], jeans["before"]["locations"]) == ("default@v1", ["ST-OPERA"])
    assert jeans["after"]["locations"] == ["WH-LYON", "WH-PARIS"]
    assert jeans["after"]["shipments"] == 2
    phone = by_id[ids["phone"]]["after"]
    assert (phone["locations"], phone["units_unplaced"], phone["unplaced_action"]) == (
        [],
        1,
        "backorder",
    )

    d_op, d_wh, d_wl = (km(loc, PARIS) for loc in ("ST-OPERA", "WH-PARIS", "WH-LYON"))
    e_op, e_wh = km("ST-OPERA", EVRY), km("WH-PARIS", EVRY)
    total = out["totals"]
    assert (total["orders"], total["changed"]) == (5, 4)
    assert total["shipments"] == {"before": 5, "after": 5, "difference": 0}
    assert total["split_orders"] == {"before": 0, "after": 1, "difference": 1}
    assert total["not_placed_in_full"] == {"before": 0, "after": 1, "difference": 1}
    assert total["units_unplaced"] == {"before": 0, "after": 1, "difference": 1}
    km_before, km_after = 3 * d_op + e_op, 2 * d_wh + d_wl + e_wh
    assert abs(total["distance_km"]["before"] - km_before) < 1e-2
    assert abs(total["distance_km"]["after"] - km_after) < 1e-2
    assert abs(total["distance_km"]["difference"] - (km_after - km_before)) < 1e-2
    # The draft's cost model prices both sides: stores 500 + 2/km, warehouses 300 + 1/km; the
    # collection costs its parcel alone.
    cost_before = 3 * round(500 + 2 * d_op) + round(500 + 2 * e_op) + 500
    cost_after = round(300 + d_wh) + round(600 + d_wh + d_wl) + round(300 + e_wh) + 500
    assert total["cost"] == {
        "before": cost_before,
        "after": cost_after,
        "difference": cost_after - cost_before,
    }
    assert reserved(api) == held

    app = await call(api, "/sourcing/replay", {"profile": CENTRAL, "channel": "app-fr"})
    assert [o["order_id"] for o in app["orders"]] == [ids["app"]]
    assert (app["totals"]["orders"], app["totals"]["changed"]) == (1, 1)

    # The same draft stored and named by reference replays the same.
    await call(api, "/sourcing/profiles/central/versions", CENTRAL, status=201)
    by_ref = await call(
        api, "/sourcing/replay", {"profile_ref": {"id": "central", "version": 1}, "last": 5}
    )
    assert by_ref["profile"] == "central@v1"
    assert by_ref["totals"] == total


async def test_simulate_and_replay_refuse_what_they_cannot_run(api: Api) -> None:
    body = order_body(lines=lines(("SKU-TEE", 1), ("SKU-NOPE", 1)))
    r = await api.http.post("/sourcing/simulate", json={"order": body}, headers=api.auth("admin"))
    assert r.status_code == 422
    assert (error_of(r)["code"], error_of(r)["field"]) == ("unknown_sku", "order.lines[1].sku")

    bad = {
        "strategies": [{"name": "x", "criteria": [{"criterion": "vibes"}]}],
        "fallback": {"name": "y"},
    }
    for url, extra in (("/sourcing/simulate", {"order": order_body()}), ("/sourcing/replay", {})):
        r = await api.http.post(url, json={**extra, "profile": bad}, headers=api.auth("admin"))
        assert r.status_code == 422, r.text
        assert error_of(r)["field"] == "profile.strategies[0].criteria[0].criterion"

        both = {**extra, "profile": CENTRAL, "profile_ref": {"id": "central", "version": 1}}
        r = await api.http.post(url, json=both, headers=api.auth("admin"))
        assert (r.status_code, error_of(r)["field"]) == (422, "profile")

        missing = {**extra, "profile_ref": {"id": "nope", "version": 3}}
        r = await api.http.post(url, json=missing, headers=api.auth("admin"))
        assert (r.status_code, error_of(r)["code"], error_of(r)["field"]) == (
            422,
            "profile_not_found",
            "profile_ref",
        )

    r = await api.http.post("/sourcing/simulate", json={"order": {}}, headers=api.auth("admin"))
    assert (r.status_code, error_of(r)["field"]) == (422, "order.id")
    r = await api.http.post("/sourcing/replay", json={}, headers=api.auth("admin"))
    assert (r.status_code, error_of(r)["code"], error_of(r)["field"]) == (
        422,
        "required",
        "profile",
    )
    r = await api.http.post(
        "/sourcing/replay", json={"profile": CENTRAL, "last": 1001}, headers=api.auth("admin")
    )
    assert (r.status_code, error_of(r)["code"], error_of(r)["field"]) == (
        422,
        "out_of_range",
        "last",
    )

    sim = {"order": order_body()}
    assert (
        await api.http.post("/sourcing/simulate", json=sim, headers=api.auth("analyst"))
    ).status_code == 200
    for role in ("storefront", "integration", "opera"):
        r = await api.http.post("/sourcing/simulate", json=sim, headers=api.auth(role))
        assert (r.status_code, error_of(r)["code"]) == (403, "forbidden")
    for role in ("analyst", "storefront"):
        r = await api.http.post(
            "/sourcing/replay", json={"profile": CENTRAL}, headers=api.auth(role)
        )
        assert r.status_code == 403
    assert (await api.http.post("/sourcing/replay", json={"profile": CENTRAL})).status_code == 401


async def test_a_stored_order_simulated_by_its_id_shows_how_it_was_sourced_and_the_draft_plan(
    api: Api,
) -> None:
    await stock(api, [("SKU-TEE", "WH-PARIS", 50), ("SKU-MUG", "WH-PARIS", 50)])
    body = order_body()
    await api.place(body)
    await api.until(body["id"], lambda b: bool(b["sourcing"]))
    r = await api.http.get(f"/orders/{body['id']}/sourcing", headers=api.auth("analyst"))
    [real] = r.json()["decisions"]
    held, recorded = reserved(api), decisions(api)

    sim = await call(
        api, "/sourcing/simulate", {"order_id": body["id"], "profile": CENTRAL}, role="analyst"
    )

    assert (sim["order_id"], sim["profile"], sim["profile_source"]) == (
        body["id"],
        "draft@v1",
        "document",
    )
    assert sim["plan"]["locations"] == ["WH-PARIS"]
    assert sim["explanation"]["strategy"] == "central"
    was = sim["as_sourced"]
    assert (was["profile"], was["locations"]) == ("default@v1", ["ST-OPERA"])
    assert was["allocations"] == real["explanation"]["allocations"]
    assert (was["changed"], was["locations_added"], was["locations_dropped"]) == (
        True,
        ["WH-PARIS"],
        ["ST-OPERA"],
    )
    assert reserved(api) == held
    assert decisions(api) == recorded

    # With the profile in force (the default) it would be sourced as it was.
    same = await call(api, "/sourcing/simulate", {"order_id": body["id"]})
    assert (same["profile_source"], same["plan"]["locations"]) == ("in_force", ["ST-OPERA"])
    assert (same["as_sourced"]["changed"], same["as_sourced"]["locations_added"]) == (False, [])

    # An order with no decision recorded is still simulated, with nothing to compare.
    quiet = order_body(delivery=ship_to(EVRY))
    with api.db.session() as s:
        order_repo.insert_order(s, OrderIn.model_validate(quiet), received_at=datetime.now(UTC))
    alone = await call(api, "/sourcing/simulate", {"order_id": quiet["id"]})
    assert (alone["plan"]["locations"], alone["as_sourced"]) == (["WH-PARIS"], None)
    # An order given in full is never compared, even when one with its id was sourced.
    full = await call(api, "/sourcing/simulate", {"order": body})
    assert full["as_sourced"] is None


async def test_simulate_takes_an_order_or_an_order_id_exactly_once(api: Api) -> None:
    body = order_body()
    with api.db.session() as s:
        order_repo.insert_order(s, OrderIn.model_validate(body), received_at=datetime.now(UTC))
    admin = api.auth("admin")

    both = {"order": body, "order_id": body["id"]}
    r = await api.http.post("/sourcing/simulate", json=both, headers=admin)
    assert (r.status_code, error_of(r)["code"], error_of(r)["field"]) == (
        422,
        "invalid",
        "order_id",
    )

    r = await api.http.post("/sourcing/simulate", json={"profile": CENTRAL}, headers=admin)
    assert (r.status_code, error_of(r)["code"], error_of(r)["field"]) == (422, "required", "order")

    r = await api.http.post("/sourcing/simulate", json={"order_id": "NOPE-1"}, headers=admin)
    assert (r.status_code, error_of(r)["code"], error_of(r)["field"]) == (
        422,
        "order_not_found",
        "order_id",
    )

    r = await api.http.post("/sourcing/simulate", json={"order_id": ""}, headers=admin)
    assert (r.status_code, error_of(r)["field"]) == (422, "order_id")

    for role in ("storefront", "integration"):
        r = await api.http.post(
            "/sourcing/simulate", json={"order_id": body["id"]}, headers=api.auth(role)
        )
        assert (r.status_code, error_of(r)["code"]) == (403, "forbidden")
    r = await api.http.post(
        "/sourcing/simulate", json={"order_id": body["id"]}, headers=api.auth("analyst")
    )
    assert r.status_code == 200, r.text
