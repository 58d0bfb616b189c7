"""Fulfilment profiles as an admin manages them (draft, check, publish, roll back), and which
profile a fulfilment at a location would run, as analysts and the store's staff ask it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.api.conftest import Api, error_of

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (EXAMPLES / f"fulfilment-profile-{name}.json").read_text()
    )
    return document


async def post(api: Api, url: str, body: Any = None, status: int = 200) -> dict[str, Any]:
    r = await api.http.post(url, json=body, headers=api.auth("admin"))
    assert r.status_code == status, r.text
    out: dict[str, Any] = r.json()
    return out


async def in_force(
    api: Api, location_id: str, method: str = "ship", role: str = "analyst"
) -> httpx.Response:
    return await api.http.get(
        "/fulfilment/profiles/in-force",
        params={"location_id": location_id, "channel": "web-fr", "delivery_method": method},
        headers=api.auth(role),
    )


async def test_a_profile_goes_from_draft_to_force_and_back(api: Api) -> None:
    boutique = example("boutique")
    created = await api.http.post("/fulfilment/profiles", json=boutique, headers=api.auth("admin"))
    assert created.status_code == 201, created.text
    draft = created.json()
    assert (draft["id"], draft["version"], draft["status"]) == ("maison-boutiques", 1, "draft")
    assert created.headers["Location"] == "/fulfilment/profiles/maison-boutiques/versions/1"
    before = await in_force(api, "ST-OPERA", role="opera")
    assert before.json()["built_in"] is True  # a draft runs nowhere

    live = await post(api, "/fulfilment/profiles/maison-boutiques/versions/1/publish")
    assert (live["status"], live["published_at"] is not None) == ("active", True)
    now = (await in_force(api, "ST-OPERA", role="opera")).json()
    assert (now["profile"]["id"], now["built_in"]) == ("maison-boutiques", False)
    assert now["matched"]["location_type"] == "store"
    assert [s["type"] for s in now["steps"]] == [
        "pick", "verify", "vas", "photo", "pack", "label", "handover",
    ]  # fmt: skip

    edit = await api.http.put(
        "/fulfilment/profiles/maison-boutiques/versions/1",
        json=boutique,
        headers=api.auth("admin"),
    )
    assert (edit.status_code, error_of(edit)["code"]) == (409, "profile_published")

    no_verify = {**boutique, "steps": [s for s in boutique["steps"] if s["type"] != "verify"]}
    v2 = await post(api, "/fulfilment/profiles", no_verify, status=201)
    assert v2["version"] == 2
    await post(api, "/fulfilment/profiles/maison-boutiques/versions/2/publish")
    now = (await in_force(api, "ST-OPERA")).json()
    assert "verify" not in [s["type"] for s in now["steps"]]

    back = await post(api, "/fulfilment/profiles/maison-boutiques/rollback")
    assert back["version"] == 1
    now = (await in_force(api, "ST-OPERA")).json()
    assert (now["profile"]["version"], now["steps"][1]["type"]) == (1, "verify")
    listed = await api.http.get(
        "/fulfilment/profiles?id=maison-boutiques", headers=api.auth("analyst")
    )
    assert [(v["version"], v["status"]) for v in listed.json()["items"]] == [
        (1, "active"),
        (2, "inactive"),
    ]
    read = await api.http.get(
        "/fulfilment/profiles/maison-boutiques/versions/2", headers=api.auth("analyst")
    )
    assert (read.json()["status"], read.json()["created_by"]) == ("inactive", "admin:test-admin")


async def test_in_force_names_the_scope_that_won_and_what_it_won_over(api: Api) -> None:
    for name in ("supermarket", "supermarket-collect"):
        draft = await post(api, "/fulfilment/profiles", example(name), status=201)
        await post(api, f"/fulfilment/profiles/{draft['id']}/versions/1/publish")

    collect = (await in_force(api, "ST-OPERA", "collect")).json()
    assert collect["profile"]["id"] == "grocer-collect"
    assert collect["matched"] == {
        "location_id": None,
        "location_type": "store",
        "channel": None,
        "delivery_method": "collect",
    }
    assert [o["id"] for o in collect["overridden"]] == ["grocer-stores"]
    assert collect["reason"] == (
        "grocer-collect v1 applies to location_type store, delivery_method collect: "
        "more specific than grocer-stores v1, which also matches"
    )
    assert [s["type"] for s in collect["steps"]] == ["pick", "ready_for_collection", "collected"]
    ship = (await in_force(api, "ST-OPERA", "ship")).json()
    assert (ship["profile"]["id"], ship["overridden"]) == ("grocer-stores", [])
    warehouse = (await in_force(api, "WH-PARIS", "ship")).json()
    assert (warehouse["location_type"], warehouse["built_in"], warehouse["matched"]) == (
        "warehouse",
        True,
        None,
    )

    retired = await post(api, "/fulfilment/profiles/grocer-collect/retire")
    assert retired["status"] == "inactive"
    collect = (await in_force(api, "ST-OPERA", "collect")).json()
    assert [s["type"] for s in collect["steps"]] == [
        "pick", "pack", "ready_for_collection", "collected",
    ]  # fmt: skip
    again = await api.http.post(
        "/fulfilment/profiles/grocer-collect/retire", headers=api.auth("admin")
    )
    assert (again.status_code, error_of(again)["code"]) == (409, "invalid_state")

    elsewhere = await in_force(api, "ST-OPERA", role="bastille")  # another store's key
    assert (elsewhere.status_code, error_of(elsewhere)["code"]) == (404, "location_not_found")
    unknown = await in_force(api, "NOWHERE")
    assert (unknown.status_code, error_of(unknown)["field"]) == (404, "location_id")
    integration = await in_force(api, "ST-OPERA", role="integration")
    assert integration.status_code == 403


async def test_a_bad_document_is_refused_with_every_problem_located(api: Api) -> None:
    bad = {
        "id": "sloppy",
        "steps": [
            {"type": "pick", "mode": "sloppy"},
            {"type": "pack", "deadline": {"due": "PT1S"}},
        ],
        "surprise": True,
    }
    r = await api.http.post("/fulfilment/profiles/validate", json=bad, headers=api.auth("admin"))
    assert r.status_code == 422
    fields = {(e["field"], e["code"]) for e in error_of(r)["errors"]}
    assert fields == {
        ("steps[0].mode", "invalid"),
        ("steps[1].deadline.due", "out_of_range"),
        ("surprise", "unknown_field"),
    }
    out_of_order = {"id": "x", "steps": [{"type": "pack"}, {"type": "pick"}]}
    r = await api.http.post("/fulfilment/profiles", json=out_of_order, headers=api.auth("admin"))
    assert (r.status_code, error_of(r)["field"]) == (422, "steps")
    assert "begins with its one pick step" in error_of(r)["reason"]
    built_in = await api.http.post(
        "/fulfilment/profiles",
        json={**example("boutique"), "id": "default"},
        headers=api.auth("admin"),
    )
    assert (built_in.status_code, error_of(built_in)["field"]) == (422, "id")

    ok = await post(api, "/fulfilment/profiles/validate", example("supermarket"))
    assert ok["steps"][0]["waves"] == {"strategy": "by_zone", "max_size": 30}
    await post(api, "/fulfilment/profiles", example("supermarket"), status=201)
    other_id = await api.http.put(
        "/fulfilment/profiles/grocer-stores/versions/1",
        json=example("boutique"),
        headers=api.auth("admin"),
    )
    assert (other_id.status_code, error_of(other_id)["field"]) == (422, "id")
    missing = await api.http.post(
        "/fulfilment/profiles/nope/versions/3/publish", headers=api.auth("admin")
    )
    assert (missing.status_code, error_of(missing)["code"]) == (404, "profile_not_found")
    never = await api.http.post(
        "/fulfilment/profiles/grocer-stores/rollback", headers=api.auth("admin")
    )
    assert (never.status_code, error_of(never)["code"]) == (409, "invalid_state")
    r = await api.http.post(
        "/fulfilment/profiles", json=example("boutique"), headers=api.auth("analyst")
    )
    assert r.status_code == 403
