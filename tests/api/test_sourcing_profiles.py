"""Sourcing profiles as an admin manages them: draft, check, publish, roll back."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, error_of

CENTRAL = {
    "channel": "web-fr",
    "description": "Ship from the warehouse, stores only when it cannot",
    "strategies": [
        {
            "name": "warehouse",
            "filters": {"location_types": ["warehouse"]},
            "criteria": [{"criterion": "distance"}],
        }
    ],
    "fallback": {"name": "anywhere", "criteria": [{"criterion": "distance"}]},
}


async def post(api: Api, url: str, body: Any = None, status: int = 200) -> dict[str, Any]:
    r = await api.http.post(url, json=body, headers=api.auth("admin"))
    assert r.status_code == status, r.text
    out: dict[str, Any] = r.json()
    return out


async def test_a_profile_goes_from_draft_to_force_and_back(api: Api) -> None:
    draft = await post(api, "/sourcing/profiles/central/versions", CENTRAL, status=201)
    assert (draft["version"], draft["status"], draft["channel"]) == (1, "draft", "web-fr")
    in_force = await api.http.get(
        "/sourcing/profiles/in-force?channel=web-fr", headers=api.auth("analyst")
    )
    assert in_force.json()["id"] == "default"  # a draft is not in force

    live = await post(api, "/sourcing/profiles/central/versions/1/publish")
    assert (live["status"], live["published_at"] is not None) == ("active", True)
    in_force = await api.http.get(
        "/sourcing/profiles/in-force?channel=web-fr", headers=api.auth("analyst")
    )
    assert in_force.json()["strategies"][0]["name"] == "warehouse"

    edit = await api.http.put(
        "/sourcing/profiles/central/versions/1", json=CENTRAL, headers=api.auth("admin")
    )
    assert (edit.status_code, error_of(edit)["code"]) == (409, "profile_published")

    v2 = await post(
        api,
        "/sourcing/profiles/central/versions",
        {**CENTRAL, "strategies": [{**CENTRAL["strategies"][0], "name": "depot"}]},
        status=201,
    )
    assert v2["version"] == 2
    await post(api, "/sourcing/profiles/central/versions/2/publish")
    back = await post(api, "/sourcing/profiles/central/rollback")
    assert back["version"] == 1
    listed = await api.http.get("/sourcing/profiles?id=central", headers=api.auth("admin"))
    assert [(v["version"], v["status"]) for v in listed.json()["items"]] == [
        (1, "active"),
        (2, "inactive"),
    ]


async def test_a_retired_profile_gives_its_channel_back_to_the_default_until_published_again(
    api: Api,
) -> None:
    await post(api, "/sourcing/profiles/central/versions", CENTRAL, status=201)
    await post(api, "/sourcing/profiles/central/versions/1/publish")

    retired = await post(api, "/sourcing/profiles/central/retire")
    again = await api.http.post("/sourcing/profiles/central/retire", headers=api.auth("admin"))
    by_analyst = await api.http.post(
        "/sourcing/profiles/central/retire", headers=api.auth("analyst")
    )

    assert (retired["version"], retired["status"]) == (1, "inactive")
    assert (again.status_code, error_of(again)["code"]) == (409, "invalid_state")
    assert by_analyst.status_code == 403
    in_force = await api.http.get(
        "/sourcing/profiles/in-force?channel=web-fr", headers=api.auth("analyst")
    )
    assert in_force.json()["id"] == "default"
    await post(api, "/sourcing/profiles/central/versions/1/publish")
    in_force = await api.http.get(
        "/sourcing/profiles/in-force?channel=web-fr", headers=api.auth("analyst")
    )
    assert in_force.json()["id"] == "central"


async def test_a_bad_document_is_refused_with_every_problem_located(api: Api) -> None:
    bad = {
        "strategies": [{"name": "x", "criteria": [{"criterion": "vibes"}]}],
        "fallback": {"name": "x"},
    }
    r = await api.http.post("/sourcing/profiles/validate", json=bad, headers=api.auth("admin"))
    assert r.status_code == 422
    assert error_of(r)["field"] == "strategies[0].criteria[0].criterion"
    r = await api.http.post("/sourcing/profiles/p/versions", json=bad, headers=api.auth("admin"))
    assert r.status_code == 422
    ok = await post(api, "/sourcing/profiles/validate", CENTRAL)
    assert ok["fallback"]["name"] == "anywhere"

    missing = await api.http.post(
        "/sourcing/profiles/nope/versions/3/publish", headers=api.auth("admin")
    )
    assert (missing.status_code, error_of(missing)["code"]) == (404, "profile_not_found")
    r = await api.http.post(
        "/sourcing/profiles/central/versions", json=CENTRAL, headers=api.auth("analyst")
    )
    assert r.status_code == 403


async def test_a_wrong_criterion_is_the_one_problem_reported(api: Api) -> None:
    bad = {**CENTRAL, "strategies": [{"name": "warehouse", "criteria": [{"criterion": "vibes"}]}]}

    wrong = await api.http.post("/sourcing/profiles/validate", json=bad, headers=api.auth("admin"))
    empty = await api.http.post(
        "/sourcing/profiles/validate", json={**CENTRAL, "strategies": []}, headers=api.auth("admin")
    )

    assert wrong.status_code == 422, wrong.text
    assert [(e["field"], e["code"]) for e in error_of(wrong)["errors"]] == [
        ("strategies[0].criteria[0].criterion", "invalid")
    ]
    assert [(e["field"], e["code"]) for e in error_of(empty)["errors"]] == [
        ("strategies", "out_of_range")
    ]
