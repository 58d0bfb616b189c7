"""An order sourced by the channel's published profile, and the explanation it leaves."""

from __future__ import annotations

from tests.api.conftest import Api, order_body

CENTRAL = {
    "channel": "web-fr",
    "description": "Hardware chain: ship from the central warehouse, stores only if it cannot",
    "strategies": [
        {
            "name": "central",
            "filters": {"location_types": ["warehouse"]},
            "criteria": [{"criterion": "distance"}],
        }
    ],
    "fallback": {"name": "anywhere", "criteria": [{"criterion": "distance"}]},
}


async def test_the_published_profile_decides_and_the_order_shows_why(api: Api) -> None:
    admin = api.auth("admin")
    r = await api.http.post(
        "/inventory/positions",
        json={
            "rows": [
                {"sku": sku, "location_id": "WH-PARIS", "on_hand": 50}
                for sku in ("SKU-TEE", "SKU-MUG")
            ]
        },
        headers=api.auth("integration"),
    )
    assert r.json()["applied"] == 2
    # Without a profile the nearest location with everything serves: the Opéra store.
    first = order_body()
    await api.place(first)
    done = await api.until(first["id"], lambda b: bool(b["sourcing"]))
    assert done["sourcing"][0]["locations"] == ["ST-OPERA"]
    assert done["sourcing"][0]["profile"] == "default@v1"

    assert (
        await api.http.post("/sourcing/profiles/central/versions", json=CENTRAL, headers=admin)
    ).status_code == 201
    assert (
        await api.http.post("/sourcing/profiles/central/versions/1/publish", headers=admin)
    ).status_code == 200
    second = order_body()
    await api.place(second)
    view = await api.until(second["id"], lambda b: bool(b["sourcing"]))
    assert view["sourcing"][0]["locations"] == ["WH-PARIS"]

    r = await api.http.get(f"/orders/{second['id']}/sourcing", headers=api.auth("analyst"))
    assert r.status_code == 200, r.text
    decision = r.json()["decisions"][0]
    assert (decision["step"], decision["profile"], decision["strategy"]) == (
        "initial",
        "central@v1",
        "central",
    )
    why = decision["explanation"]
    excluded = {g["filter"]: g["location_ids"] for g in why["excluded"]}
    assert any("ST-OPERA" in ids for ids in excluded.values()), excluded
    assert [c["location_id"] for c in why["candidates"] if c["chosen"]] == ["WH-PARIS"]

    missing = await api.http.get("/orders/NOPE/sourcing", headers=api.auth("analyst"))
    assert missing.status_code == 404


async def test_a_profile_ranking_by_lead_time_uses_the_locations_lead_times(api: Api) -> None:
    admin = api.auth("admin")
    await api.http.post(
        "/inventory/positions",
        json={
            "rows": [
                {"sku": sku, "location_id": "WH-PARIS", "on_hand": 50}
                for sku in ("SKU-TEE", "SKU-MUG")
            ]
        },
        headers=api.auth("integration"),
    )
    for loc, hours in (("ST-OPERA", 48), ("WH-PARIS", 2)):
        r = await api.http.patch(
            f"/locations/{loc}", json={"lead_time_hours": hours}, headers=admin
        )
        assert r.json()["lead_time_hours"] == hours
    fastest = {
        "strategies": [{"name": "fastest", "criteria": [{"criterion": "lead_time"}]}],
        "fallback": {"name": "rest"},
    }
    r = await api.http.post(
        "/sourcing/simulate", json={"order": order_body(), "profile": fastest}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["plan"]["locations"] == ["WH-PARIS"]  # the nearest, Opéra, takes two days
