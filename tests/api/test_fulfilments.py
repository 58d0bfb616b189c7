"""Store staff: the location's pick list, then pick, pack and hand over."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, Json, collect_body, error_of, full_pick, order_body

PARCELS = {"parcels": [{"weight_grams": 900, "reference": "BOX-1"}]}


async def _post(api: Api, url: str, json: Any = None, role: str = "opera") -> Any:
    return await api.http.post(url, json=json, headers=api.auth(role))


async def test_a_store_reads_its_own_fulfilment_by_id_and_not_another_stores(api: Api) -> None:
    body = order_body()
    listed = await api.awaiting_pick(body)

    own = await api.http.get(f"/fulfilments/{listed['id']}", headers=api.auth("opera"))
    other = await api.http.get(f"/fulfilments/{listed['id']}", headers=api.auth("bastille"))
    unknown = await api.http.get("/fulfilments/NOPE.F1", headers=api.auth("opera"))

    assert own.status_code == 200, own.text
    assert own.json() == listed
    assert other.status_code == 404
    assert error_of(other)["code"] == "fulfilment_not_found"
    assert unknown.status_code == 404


async def test_a_store_sees_the_pick_list_of_its_own_location(api: Api) -> None:
    body = order_body()
    await api.place(body)

    fulfilment = await api.until_fulfilment(body["id"], "AWAITING_PICK")

    assert fulfilment["id"] == f"{body['id']}.F1"
    assert (fulfilment["location_id"], fulfilment["status"]) == ("ST-OPERA", "AWAITING_PICK")
    assert fulfilment["delivery_method"] == "ship"
    assert [
        (line["line_id"], line["sku"], line["quantity"], line["picked"])
        for line in fulfilment["lines"]
    ] == [
        ("1", "SKU-TEE", 2, None),
        ("2", "SKU-MUG", 1, None),
    ]
    assert (fulfilment["parcels"], fulfilment["tracking_number"]) == ([], None)
    # Only what awaits picking is on the pick list.
    picked_list = await api.http.get(
        "/locations/ST-OPERA/fulfilments", params={"status": "PICKED"}, headers=api.auth("opera")
    )
    assert picked_list.json()["items"] == []


async def test_another_locations_pick_list_is_not_found(api: Api) -> None:
    body = order_body()
    await api.awaiting_pick(body)

    response = await api.http.get(
        "/locations/ST-OPERA/fulfilments",
        params={"status": "AWAITING_PICK"},
        headers=api.auth("bastille"),
    )

    assert response.status_code == 404, response.text
    error = error_of(response)
    assert (error["code"], error["field"]) == ("location_not_found", "location_id")


async def test_an_unknown_location_is_not_found_even_for_an_admin(api: Api) -> None:
    response = await api.http.get("/locations/ST-NOWHERE/fulfilments", headers=api.auth("admin"))

    assert response.status_code == 404, response.text
    assert error_of(response)["code"] == "location_not_found"


async def test_an_unknown_fulfilment_status_filter_is_refused(api: Api) -> None:
    response = await api.http.get(
        "/locations/ST-OPERA/fulfilments", params={"status": "LOST"}, headers=api.auth("opera")
    )

    assert response.status_code == 422, response.text
    error = error_of(response)
    assert (error["field"], error["code"]) == ("status", "invalid")


async def test_a_full_pick_marks_the_fulfilment_picked(api: Api) -> None:
    body = order_body()
    fulfilment = await api.awaiting_pick(body)

    response = await _post(api, f"/fulfilments/{fulfilment['id']}/pick", full_pick(fulfilment))

    assert response.status_code == 200, response.text
    view = response.json()
    assert (view["fulfilment_id"], view["status"]) == (fulfilment["id"], "PICKED")
    assert [(line["line_id"], line["picked"]) for line in view["lines"]] == [("1", 2), ("2", 1)]
    listed = await api.until_fulfilment(body["id"], "PICKED")
    assert [line["picked"] for line in listed["lines"]] == [2, 1]
    order = await api.until(
        body["id"], lambda v: {line["state"] for line in v["lines"]} == {"picked"}
    )
    assert order["fulfilments"][0]["status"] == "PICKED"


@pytest.mark.parametrize(
    ("lines", "field", "code"),
    [
        (
            [{"line_id": "1", "picked": 1}, {"line_id": "2", "picked": 1}],
            "lines[0].short_reason",
            "reason_required",
        ),
        (
            [{"line_id": "1", "picked": 3}, {"line_id": "2", "picked": 1}],
            "lines[0].picked",
            "pick_exceeds_requested",
        ),
        (
            [
                {"line_id": "9", "picked": 1},
                {"line_id": "1", "picked": 2},
                {"line_id": "2", "picked": 1},
            ],
            "lines[0].line_id",
            "unknown_line",
        ),
        ([{"line_id": "1", "picked": 2}], "lines", "required"),
        (
            [{"line_id": "1", "picked": -1}, {"line_id": "2", "picked": 1}],
            "lines[0].picked",
            "out_of_range",
        ),
        (
            [{"line_id": "1", "picked": 1, "short_reason": "lost"}, {"line_id": "2", "picked": 1}],
            "lines[0].short_reason",
            "reason_not_allowed",
        ),
        (  # a reason code, but one for cancelling an order, not for a short pick
            [
                {"line_id": "1", "picked": 2},
                {"line_id": "2", "picked": 0, "short_reason": "customer_request"},
            ],
            "lines[1].short_reason",
            "reason_not_allowed",
        ),
        (
            [{"line_id": "1", "picked": 1, "short_reason": "Lost!"}, {"line_id": "2", "picked": 1}],
            "lines[0].short_reason",
            "invalid_format",
        ),
    ],
)
async def test_an_invalid_pick_is_refused_and_the_pick_list_stays_open(
    api: Api, lines: list[Json], field: str, code: str
) -> None:
    body = order_body()
    fulfilment = await api.awaiting_pick(body)

    response = await _post(api, f"/fulfilments/{fulfilment['id']}/pick", {"lines": lines})

    assert response.status_code == 422, response.text
    error = error_of(response)
    assert (error["field"], error["code"]) == (field, code)
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in error["errors"]
    ]
    # Nothing changed: a correct pick still goes through.
    retry = await _post(api, f"/fulfilments/{fulfilment['id']}/pick", full_pick(fulfilment))
    assert retry.status_code == 200, retry.text
    assert retry.json()["status"] == "PICKED"


async def test_a_short_pick_with_a_reason_is_accepted(api: Api) -> None:
    body = order_body()
    fulfilment = await api.awaiting_pick(body)

    response = await _post(
        api,
        f"/fulfilments/{fulfilment['id']}/pick",
        {
            "lines": [
                {"line_id": "1", "picked": 1, "short_reason": "damaged"},
                {"line_id": "2", "picked": 1},
            ]
        },
    )

    assert response.status_code == 200, response.text
    view = response.json()
    assert view["status"] == "PICKED"
    assert [(line["picked"], line["short_reason"]) for line in view["lines"]] == [
        (1, "damaged"),
        (1, None),
    ]


async def test_packing_before_picking_is_refused(api: Api) -> None:
    body = order_body()
    fulfilment = await api.awaiting_pick(body)

    response = await _post(api, f"/fulfilments/{fulfilment['id']}/pack", PARCELS)

    assert response.status_code == 409, response.text
    error = error_of(response)
    assert error["code"] == "invalid_state"
    assert "AWAITING_PICK" in error["reason"]
    still = await api.until_fulfilment(body["id"], "AWAITING_PICK")
    assert still["parcels"] == []


async def test_an_invalid_parcel_is_refused(api: Api) -> None:
    body = order_body()
    fulfilment = await api.awaiting_pick(body)
    await _post(api, f"/fulfilments/{fulfilment['id']}/pick", full_pick(fulfilment))

    response = await _post(
        api, f"/fulfilments/{fulfilment['id']}/pack", {"parcels": [{"weight_grams": 0}]}
    )

    assert response.status_code == 422, response.text
    error = error_of(response)
    assert (error["field"], error["code"]) == ("parcels[0].weight_grams", "out_of_range")


async def test_packing_a_shipping_order_ships_it_and_completes_the_order(api: Api) -> None:
    body = order_body()
    fulfilment = await api.awaiting_pick(body)
    picked = await _post(api, f"/fulfilments/{fulfilment['id']}/pick", full_pick(fulfilment))
    assert picked.status_code == 200, picked.text

    response = await _post(api, f"/fulfilments/{fulfilment['id']}/pack", PARCELS)

    assert response.status_code == 200, response.text
    view = response.json()
    assert view["status"] == "PACKED"
    assert view["parcels"] == [{"weight_grams": 900, "reference": "BOX-1"}]
    order = await api.until(body["id"], lambda v: v["status"] == "COMPLETED")
    assert order["fulfilments"][0]["status"] == "SHIPPED"
    assert order["fulfilments"][0]["tracking_number"]
    assert order["fulfilments"][0]["carrier"]
    assert order["payment"]["state"] == "captured"
    assert order["payment"]["captured"] == 2 * 1999 + 899
    assert {line["state"] for line in order["lines"]} == {"shipped"}
    shipped = await api.until_fulfilment(body["id"], "SHIPPED")
    assert shipped["tracking_number"] == order["fulfilments"][0]["tracking_number"]
    # A shipped fulfilment takes no more actions.
    again = await _post(api, f"/fulfilments/{fulfilment['id']}/pack", PARCELS)
    assert again.status_code == 409, again.text
    assert error_of(again)["code"] == "invalid_state"


async def test_another_stores_key_cannot_act_on_this_stores_fulfilment(api: Api) -> None:
    body = order_body()
    fulfilment = await api.awaiting_pick(body)
    fid = fulfilment["id"]

    for action, payload in (
        ("pick", full_pick(fulfilment)),
        ("pack", PARCELS),
        ("collected", None),
    ):
        response = await _post(api, f"/fulfilments/{fid}/{action}", payload, role="bastille")

        assert response.status_code == 404, (action, response.text)
        error = error_of(response)
        assert (error["code"], error["field"]) == ("fulfilment_not_found", "fulfilment_id")
    # It is untouched.
    still = await api.until_fulfilment(body["id"], "AWAITING_PICK")
    assert still["lines"][0]["picked"] is None


async def test_acting_on_an_unknown_fulfilment_is_404(api: Api) -> None:
    response = await _post(
        api, "/fulfilments/NOPE.F1/pick", {"lines": [{"line_id": "1", "picked": 1}]}
    )

    assert response.status_code == 404, response.text
    assert error_of(response)["code"] == "fulfilment_not_found"


async def test_a_collect_order_is_picked_packed_handed_over_and_completed(api: Api) -> None:
    body = collect_body()
    fulfilment = await api.awaiting_pick(body)
    fid = fulfilment["id"]
    assert fulfilment["delivery_method"] == "collect"
    early = await _post(api, f"/fulfilments/{fid}/collected")
    assert early.status_code == 409, early.text
    assert error_of(early)["code"] == "invalid_state"

    picked = await _post(api, f"/fulfilments/{fid}/pick", full_pick(fulfilment))
    packed = await _post(api, f"/fulfilments/{fid}/pack", PARCELS)
    ready = await api.until_fulfilment(body["id"], "READY_FOR_COLLECTION")
    order = await api.until(
        body["id"], lambda v: {line["state"] for line in v["lines"]} == {"ready_for_collection"}
    )
    collected = await _post(api, f"/fulfilments/{fid}/collected")

    assert (picked.status_code, packed.status_code) == (200, 200)
    assert ready["id"] == fid
    assert order["status"] == "IN_FULFILMENT"
    assert collected.status_code == 200, collected.text
    assert collected.json()["status"] == "COLLECTED"
    done = await api.until(body["id"], lambda v: v["status"] == "COMPLETED")
    assert done["fulfilments"][0]["status"] == "COLLECTED"
    assert {line["state"] for line in done["lines"]} == {"collected"}
    assert done["payment"]["state"] == "captured"
    await api.until_fulfilment(body["id"], "COLLECTED")
