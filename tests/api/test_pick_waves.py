"""Picking in waves over the API, with the real fulfilment workflows behind it: a store
builds a wave of its most urgent open fulfilments, one picker claims it, reports what was
picked by count or by scan, and the sort completes each fulfilment's pick, sharing what is
short by the declared rule."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, Json, error_of, order_body
from tests.factories import shipped_to

TEE_GTIN, MUG_GTIN, JEAN_GTIN = "04006381333931", "12345670", "5012345678900"
BINS = {
    "items": [
        {"sku": "SKU-JEAN", "bin": "B-01", "zone": "B", "walk_order": 5},
        {"sku": "SKU-MUG", "bin": "A-01", "zone": "A", "walk_order": 10},
        {"sku": "SKU-TEE", "bin": "A-02", "zone": "A", "walk_order": 20},
    ]
}
JEANS = [{"line_id": "1", "sku": "SKU-JEAN", "quantity": 1, "unit_price": 5999}]


def express_body() -> Json:
    return order_body(delivery={**shipped_to("75001"), "express": True})


async def call(api: Api, method: str, url: str, json: Any = None, role: str = "opera") -> Any:
    return await api.http.request(method, url, json=json, headers=api.auth(role))


async def waiting(api: Api, *bodies: Json) -> list[str]:
    """Place the orders one after the other (so each one's pick is due after the one
    before) and answer their fulfilment ids once each is on the Opéra pick list."""
    ids = []
    for body in bodies:
        ids.append((await api.awaiting_pick(body))["id"])
    return ids


async def build(api: Api, **body: Any) -> Json:
    response = await call(api, "POST", "/locations/ST-OPERA/pick-waves", body)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/pick-waves/{response.json()['id']}"
    answer: Json = response.json()
    return answer


async def test_a_wave_by_zone_takes_the_most_urgent_fulfilments_in_walking_order(
    api: Api,
) -> None:
    bins = await call(api, "PUT", "/locations/ST-OPERA/bins", BINS, role="integration")
    assert (bins.status_code, bins.json()) == (200, {"written": 3}), bins.text
    jeans, standard, express = await waiting(
        api, order_body(lines=JEANS), order_body(), express_body()
    )

    wave = await build(api, strategy="by_zone", max_fulfilments=2)

    # Express first, then the earliest due; the standard order waits for the next wave.
    assert wave["fulfilment_ids"] == [express, jeans]
    assert (wave["status"], wave["strategy"], wave["unit_count"]) == ("open", "by_zone", 4)
    assert [(li["group"], li["sku"], li["bin"], li["quantity"]) for li in wave["lines"]] == [
        ("B", "SKU-JEAN", "B-01", 1),
        ("A", "SKU-MUG", "A-01", 1),
        ("A", "SKU-TEE", "A-02", 2),
    ]
    fetched = await call(api, "GET", f"/pick-waves/{wave['id']}")
    assert fetched.json() == wave
    next_wave = await build(api, strategy="by_item")
    assert next_wave["fulfilment_ids"] == [standard]
    assert [(li["sku"], li["quantity"]) for li in next_wave["lines"]] == [
        ("SKU-MUG", 1),
        ("SKU-TEE", 2),
    ]
    empty = await call(api, "POST", "/locations/ST-OPERA/pick-waves", {"strategy": "per_order"})
    assert (empty.status_code, error_of(empty)["code"]) == (409, "nothing_to_pick")
    listed = await call(api, "GET", "/locations/ST-OPERA/pick-waves?status=open")
    assert [w["id"] for w in listed.json()["items"]] == [wave["id"], next_wave["id"]]


async def test_one_picker_scans_the_wave_and_the_sort_shares_the_short_tee_by_the_rule(
    api: Api,
) -> None:
    barcodes = {
        "items": [
            {"sku": "SKU-TEE", "barcodes": [TEE_GTIN]},
            {"sku": "SKU-MUG", "barcodes": [MUG_GTIN]},
        ]
    }
    put = await call(api, "PUT", "/products/barcodes", barcodes, role="integration")
    assert put.status_code == 200, put.text
    standard_body = order_body()
    standard, express = await waiting(api, standard_body, express_body())
    wave = await build(api, strategy="by_item")
    url = f"/pick-waves/{wave['id']}"

    early = await call(api, "POST", f"{url}/picks", {"lines": [{"sku": "SKU-MUG", "count": 1}]})
    assert (early.status_code, error_of(early)["code"]) == (409, "invalid_state")
    claimed = await call(api, "POST", f"{url}/claim", {"picker": "ana"})
    assert (claimed.status_code, claimed.json()["picker"]) == (200, "ana"), claimed.text
    other = await call(api, "POST", f"{url}/claim", {"picker": "ben"})
    assert (other.status_code, error_of(other)["code"]) == (409, "wave_claimed")
    again = await call(api, "POST", f"{url}/claim", {"picker": "ana"})
    assert again.status_code == 200, again.text

    # A mug scanned as a tee: refused, and the good scan in the same report counts nothing.
    wrong = await call(
        api,
        "POST",
        f"{url}/picks",
        {"lines": [{"sku": "SKU-TEE", "barcodes": [TEE_GTIN, MUG_GTIN]}]},
    )
    assert wrong.status_code == 422, wrong.text
    assert (error_of(wrong)["code"], error_of(wrong)["field"]) == (
        "wrong_item",
        "lines[0].barcodes[1]",
    )
    unchanged = (await call(api, "GET", url)).json()
    assert {s["sku"]: s["picked"] for s in unchanged["skus"]} == {"SKU-MUG": 0, "SKU-TEE": 0}

    # Three tees of four (the fourth is damaged), both mugs.
    picks = {
        "lines": [
            {"sku": "SKU-TEE", "barcodes": [TEE_GTIN] * 3, "short_reason": "damaged"},
            {"sku": "SKU-MUG", "count": 2},
        ]
    }
    reported = await call(api, "POST", f"{url}/picks", picks)
    assert reported.status_code == 200, reported.text
    assert [
        (s["sku"], s["quantity"], s["picked"], s["short_reason"]) for s in reported.json()["skus"]
    ] == [
        ("SKU-MUG", 2, 2, None),
        ("SKU-TEE", 4, 3, "damaged"),
    ]

    response = await call(api, "POST", f"{url}/sort")

    assert response.status_code == 200, response.text
    done = response.json()
    assert done["status"] == "sorted"
    assert {o["fulfilment_id"]: (o["status"], o["given"]) for o in done["outcomes"]} == {
        express: ("PICKED", {"SKU-TEE": 2, "SKU-MUG": 1}),
        standard: ("PICKED", {"SKU-TEE": 1, "SKU-MUG": 1}),
    }
    assert done["left_over"] == {}
    # Each fulfilment's pick went through its workflow: the express one is whole, the other
    # is short one tee as damaged, and its order cancels the tee no other store has.
    picked = (await call(api, "GET", "/locations/ST-OPERA/fulfilments?status=PICKED")).json()
    lines = {
        f["id"]: [(li["picked"], li["short_reason"]) for li in f["lines"]] for f in picked["items"]
    }
    assert lines == {express: [(2, None), (1, None)], standard: [(1, "damaged"), (1, None)]}
    order = await api.until(standard_body["id"], lambda v: v["lines"][0]["cancelled"] == 1)
    assert order["lines"][0]["cancel_reason"] == "out_of_stock"
    twice = await call(api, "POST", f"{url}/sort")
    assert (twice.status_code, error_of(twice)["code"]) == (409, "invalid_state")
    listed = await call(api, "GET", "/locations/ST-OPERA/pick-waves?status=sorted")
    assert [w["id"] for w in listed.json()["items"]] == [wave["id"]]


async def test_a_fulfilment_cancelled_after_the_build_gets_nothing_and_the_rest_is_left_over(
    api: Api,
) -> None:
    first_body = order_body()
    first, second = await waiting(api, first_body, order_body())
    wave = await build(api, strategy="per_order")
    url = f"/pick-waves/{wave['id']}"
    assert [li["group"] for li in wave["lines"]] == [first, first, second, second]
    await call(api, "POST", f"{url}/claim", {"picker": "ana"})
    await call(
        api,
        "POST",
        f"{url}/picks",
        {"lines": [{"sku": "SKU-TEE", "count": 4}, {"sku": "SKU-MUG", "count": 2}]},
    )
    cancel = await call(api, "POST", f"/orders/{first_body['id']}/cancel", role="analyst")
    assert cancel.status_code == 200, cancel.text
    await api.until_fulfilment(first_body["id"], "CANCELLED")

    response = await call(api, "POST", f"{url}/sort")

    assert response.status_code == 200, response.text
    done = response.json()
    assert {o["fulfilment_id"]: (o["status"], o["given"]) for o in done["outcomes"]} == {
        first: ("CANCELLED", {}),
        second: ("PICKED", {"SKU-TEE": 2, "SKU-MUG": 1}),
    }
    assert done["left_over"] == {"SKU-MUG": 1, "SKU-TEE": 2}


async def test_another_stores_key_finds_no_wave_of_this_store(api: Api) -> None:
    await waiting(api, order_body())
    wave = await build(api, strategy="by_item")
    url = f"/pick-waves/{wave['id']}"

    for method, path, body in (
        ("GET", url, None),
        ("POST", f"{url}/claim", {"picker": "zoe"}),
        ("POST", f"{url}/picks", {"lines": [{"sku": "SKU-TEE", "count": 1}]}),
        ("POST", f"{url}/sort", None),
    ):
        response = await call(api, method, path, body, role="bastille")
        assert response.status_code == 404, (path, response.text)
        assert error_of(response)["code"] == "wave_not_found"
    for method in ("GET", "POST"):
        response = await call(
            api, method, "/locations/ST-OPERA/pick-waves", {"strategy": "by_item"}, "bastille"
        )
        assert response.status_code == 404, response.text
        assert error_of(response)["code"] == "location_not_found"
    # Untouched, and an admin sees it.
    seen = await call(api, "GET", url, role="admin")
    assert (seen.json()["status"], seen.json()["picker"]) == ("open", None)


async def test_bins_and_barcodes_of_unknown_products_or_taken_barcodes_are_refused(
    api: Api,
) -> None:
    unknown = await call(
        api,
        "PUT",
        "/locations/ST-OPERA/bins",
        {"items": [{"sku": "SKU-NOPE", "bin": "A", "zone": "A", "walk_order": 1}]},
        role="integration",
    )
    assert (unknown.status_code, error_of(unknown)["field"]) == (422, "items[0].sku")
    assert error_of(unknown)["code"] == "unknown_sku"
    nowhere = await call(api, "PUT", "/locations/ST-NOWHERE/bins", BINS, role="integration")
    assert (nowhere.status_code, error_of(nowhere)["code"]) == (404, "location_not_found")
    first = {"items": [{"sku": "SKU-TEE", "barcodes": [TEE_GTIN]}]}
    assert (
        await call(api, "PUT", "/products/barcodes", first, role="integration")
    ).status_code == 200

    taken = await call(
        api,
        "PUT",
        "/products/barcodes",
        {"items": [{"sku": "SKU-JEAN", "barcodes": [JEAN_GTIN, TEE_GTIN]}]},
        role="integration",
    )

    assert taken.status_code == 422, taken.text
    assert (error_of(taken)["code"], error_of(taken)["field"]) == (
        "barcode_taken",
        "items[0].barcodes[1]",
    )
    # Moving a barcode from one product to another in one batch is allowed.
    moved = await call(
        api,
        "PUT",
        "/products/barcodes",
        {
            "items": [
                {"sku": "SKU-TEE", "barcodes": []},
                {"sku": "SKU-JEAN", "barcodes": [TEE_GTIN]},
            ]
        },
        role="integration",
    )
    assert moved.status_code == 200, moved.text
