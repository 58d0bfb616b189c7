"""Inventory from other systems: absolute figures, deltas, and a SKU's positions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error_of


async def positions(api: Api, rows: list[dict[str, Any]]) -> dict[str, Any]:
    r = await api.http.post(
        "/inventory/positions", json={"rows": rows}, headers=api.auth("integration")
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def sku(api: Api, name: str) -> dict[str, Any]:
    r = await api.http.get(f"/inventory/{name}", headers=api.auth("integration"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def at(view: dict[str, Any], location_id: str) -> dict[str, Any]:
    return next(p for p in view["locations"] if p["location_id"] == location_id)


async def test_an_older_absolute_figure_is_ignored_and_counted_as_stale(api: Api) -> None:
    first = await positions(
        api, [{"sku": "SKU-MUG", "location_id": "ST-BASTILLE", "on_hand": 40, "source_version": 7}]
    )
    older = await positions(
        api, [{"sku": "SKU-MUG", "location_id": "ST-BASTILLE", "on_hand": 5, "source_version": 6}]
    )
    newer = await positions(
        api, [{"sku": "SKU-MUG", "location_id": "ST-BASTILLE", "on_hand": 30, "source_version": 8}]
    )

    assert (first["applied"], older["applied"], older["stale"], newer["applied"]) == (1, 0, 1, 1)
    assert at(await sku(api, "SKU-MUG"), "ST-BASTILLE")["on_hand"] == 30


async def test_an_absolute_figure_older_by_time_is_ignored_too(api: Api) -> None:
    await positions(
        api,
        [
            {
                "sku": "SKU-MUG",
                "location_id": "ST-BASTILLE",
                "on_hand": 12,
                "source_updated_at": "2026-11-26T10:00:00Z",
            }
        ],
    )
    late = await positions(
        api,
        [
            {
                "sku": "SKU-MUG",
                "location_id": "ST-BASTILLE",
                "on_hand": 3,
                "source_updated_at": "2026-11-26T09:59:00Z",
            }
        ],
    )

    assert late["stale"] == 1
    assert at(await sku(api, "SKU-MUG"), "ST-BASTILLE")["on_hand"] == 12


async def test_a_delta_sent_twice_is_applied_once(api: Api) -> None:
    delta = {"event_id": "pos-42:sale-1", "sku": "SKU-TEE", "location_id": "ST-OPERA", "delta": -3}
    before = at(await sku(api, "SKU-TEE"), "ST-OPERA")["on_hand"]

    results = []
    for _ in range(2):
        r = await api.http.post(
            "/inventory/deltas", json={"deltas": [delta]}, headers=api.auth("integration")
        )
        results.append(r.json())

    assert [(b["applied"], b["duplicates"]) for b in results] == [(1, 0), (0, 1)]
    assert at(await sku(api, "SKU-TEE"), "ST-OPERA")["on_hand"] == before - 3


async def test_bad_rows_are_rejected_one_by_one_and_the_rest_applied(api: Api) -> None:
    result = await positions(
        api,
        [
            {"sku": "SKU-MUG", "location_id": "NOWHERE", "on_hand": 1},
            {"sku": "SKU-MUG", "location_id": "ST-BASTILLE", "on_hand": -2},
            {"sku": "SKU-MUG", "location_id": "ST-BASTILLE"},
            {"sku": "NOPE", "location_id": "ST-BASTILLE", "on_hand": 1},
            {"sku": "SKU-MUG", "location_id": "ST-BASTILLE", "on_hand": 9},
        ],
    )

    assert (result["applied"], result["rejected"]) == (1, 4)
    assert [(e["index"], e["field"], e["code"]) for e in result["errors"]] == [
        (0, "location_id", "location_not_found"),
        (1, "on_hand", "out_of_range"),
        (2, "on_hand", "required"),
        (3, "sku", "unknown_sku"),
    ]
    # ``row``, its name before, still says the same for the integrations that read it
    assert [e["row"] for e in result["errors"]] == [0, 1, 2, 3]
    assert at(await sku(api, "SKU-MUG"), "ST-BASTILLE")["on_hand"] == 9


async def test_a_skus_positions_show_what_each_location_can_promise_and_why(api: Api) -> None:
    body = order_body_for_one_tee(api)
    await api.place(body)
    await api.until(body["id"], lambda v: v["status"] == "IN_FULFILMENT")

    view = await sku(api, "SKU-TEE")
    opera = at(view, "ST-OPERA")

    assert opera["reserved"] == 1
    assert opera["atp"] == opera["on_hand"] - 1
    assert "reserved 1" in opera["explanation"]
    assert view["atp"] == sum(p["atp"] for p in view["locations"])


async def test_only_integration_keys_send_inventory_and_unknown_skus_are_404(api: Api) -> None:
    r = await api.http.post(
        "/inventory/positions",
        headers=api.auth("storefront"),
        json={"rows": [{"sku": "SKU-MUG", "location_id": "ST-OPERA", "on_hand": 1}]},
    )
    assert r.status_code == 403
    missing = await api.http.get("/inventory/NOPE", headers=api.auth("integration"))
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "sku_not_found"


def order_body_for_one_tee(api: Api) -> dict[str, Any]:
    from tests.api.conftest import order_body

    body = order_body()
    body["lines"] = [{"line_id": "1", "sku": "SKU-TEE", "quantity": 1, "unit_price": 1999}]
    return body


async def test_figures_past_what_the_database_stores_are_refused_per_row(api: Api) -> None:
    r = await api.http.post(
        "/inventory/positions",
        json={
            "rows": [
                {"sku": "SKU-MUG", "location_id": "ST-OPERA", "on_hand": 2**40},
                {"sku": "SKU-TEE", "location_id": "ST-OPERA", "on_hand": 3},
            ]
        },
        headers=api.auth("integration"),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["applied"], r.json()["rejected"]) == (1, 1)
    assert r.json()["errors"][0]["index"] == 0


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/availability?channel=web%00fr&skus=SKU-TEE", "channel"),
        ("/availability?channel=web-fr&skus=SKU-TEE&skus=SKU%00MUG", "skus"),
        ("/inventory/SKU%00TEE", "path"),
    ],
)
async def test_a_nul_character_is_a_422_not_a_500(api: Api, url: str, field: str) -> None:
    r = await api.http.get(url, headers=api.auth("integration"))

    assert r.status_code == 422, r.text
    assert (error_of(r)["code"], error_of(r)["field"]) == ("invalid", field)
