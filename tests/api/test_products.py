"""The catalogue from the PIM: products put one at a time or in batches (stale rows ignored and
counted), listed and read by storefronts, and an inactive product refused at intake."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, error_of, order_body

Json = dict[str, Any]

LAMP: Json = {
    "name": "Lampe de bureau",
    "category": "home",
    "prices": {"EUR": 4999, "GBP": 4299},
    "barcodes": ["3760000000017"],
    "weight_grams": 1200,
    "dimensions_mm": {"length": 300, "width": 150, "height": 450},
    "attributes": {"colour": "black", "bulb": {"type": "LED", "watts": 6}},
    "returnable": False,
    "source_version": 3,
}


async def put(api: Api, sku: str, body: Json, role: str = "integration") -> Any:
    return await api.http.put(f"/products/{sku}", json=body, headers=api.auth(role))


async def get(api: Api, url: str, role: str = "storefront") -> Json:
    response = await api.http.get(url, headers=api.auth(role))
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def test_a_product_put_is_created_then_read_back_as_sent(api: Api) -> None:
    created = await put(api, "LAMP-1", LAMP)

    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/products/LAMP-1"
    read = await get(api, "/products/LAMP-1")
    assert {k: read[k] for k in LAMP} == LAMP
    assert read["active"] is True
    # The barcode is the lamp's for scanning.
    assert read["barcodes"] == ["3760000000017"]


async def test_a_field_left_out_keeps_what_is_stored(api: Api) -> None:
    await put(api, "LAMP-1", LAMP)

    updated = await put(
        api,
        "LAMP-1",
        {"name": "Lampe", "category": "home", "prices": {"EUR": 3999}, "source_version": 4},
    )

    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["name"], body["prices"], body["source_version"]) == ("Lampe", {"EUR": 3999}, 4)
    assert body["barcodes"] == LAMP["barcodes"]
    assert body["dimensions_mm"] == LAMP["dimensions_mm"]
    assert body["returnable"] is False


async def test_a_put_of_one_field_changes_that_field_alone(api: Api) -> None:
    await put(api, "LAMP-1", LAMP)

    deactivated = await put(api, "LAMP-1", {"active": False})

    assert deactivated.status_code == 200, deactivated.text
    read = await get(api, "/products/LAMP-1")
    assert read["active"] is False
    assert {k: read[k] for k in LAMP} == LAMP


async def test_a_batch_row_of_one_field_changes_that_field_alone(api: Api) -> None:
    await put(api, "LAMP-1", LAMP)

    batch = await api.http.post(
        "/products",
        json={"rows": [{"sku": "LAMP-1", "returnable": True}]},
        headers=api.auth("integration"),
    )

    assert batch.json() == {"applied": 1, "stale": 0, "rejected": 0, "errors": []}
    read = await get(api, "/products/LAMP-1")
    assert (read["returnable"], read["name"], read["category"]) == (True, LAMP["name"], "home")


async def test_a_new_product_needs_a_name_and_a_category(api: Api) -> None:
    new = await put(api, "LAMP-9", {"active": False})
    batch = await api.http.post(
        "/products",
        json={"rows": [{"sku": "LAMP-8", "name": "Lampe"}, {"sku": "LAMP-8", "category": "home"}]},
        headers=api.auth("integration"),
    )

    assert new.status_code == 422, new.text
    assert [(e["field"], e["code"]) for e in error_of(new)["errors"]] == [
        ("name", "required"),
        ("category", "required"),
    ]
    assert [(e["index"], e["field"], e["code"]) for e in batch.json()["errors"]] == [
        (0, "category", "required"),
        (1, "name", "required"),
    ]
    missing = await api.http.get("/products/LAMP-9", headers=api.auth("storefront"))
    assert error_of(missing)["code"] == "sku_not_found"


async def test_a_name_is_never_null(api: Api) -> None:
    await put(api, "LAMP-1", LAMP)

    nulled = await put(api, "LAMP-1", {"name": None})

    assert nulled.status_code == 422, nulled.text
    assert error_of(nulled)["field"] == "name"
    assert (await get(api, "/products/LAMP-1"))["name"] == LAMP["name"]


async def test_a_put_older_than_the_stored_version_changes_nothing(api: Api) -> None:
    await put(api, "LAMP-1", LAMP)

    old = await put(api, "LAMP-1", {**LAMP, "name": "Old name", "source_version": 2})

    assert old.status_code == 409, old.text
    assert (error_of(old)["code"], error_of(old)["field"]) == ("stale_version", "source_version")
    assert (await get(api, "/products/LAMP-1"))["name"] == LAMP["name"]


async def test_a_batch_applies_good_rows_counts_stale_ones_and_names_bad_ones(api: Api) -> None:
    first = await api.http.post(
        "/products",
        json={
            "rows": [
                {"sku": "A-1", "name": "A", "category": "home", "source_version": 5},
                {"sku": "B-1", "name": "B", "category": "home", "source_version": 1},
            ]
        },
        headers=api.auth("integration"),
    )
    assert first.json() == {"applied": 2, "stale": 0, "rejected": 0, "errors": []}

    second = await api.http.post(
        "/products",
        json={
            "rows": [
                {"sku": "A-1", "name": "A older", "category": "home", "source_version": 4},
                {"sku": "B-1", "name": "B newer", "category": "home", "source_version": 2},
                {"sku": "C-1", "name": "C", "category": "home", "prices": {"XXX": 1}},
                {"sku": "D-1", "name": "D", "category": "home", "colour": "red"},
                {"sku": "E-1", "category": "home", "weight_grams": -1},
            ]
        },
        headers=api.auth("integration"),
    )

    assert second.status_code == 200, second.text
    result = second.json()
    assert (result["applied"], result["stale"], result["rejected"]) == (1, 1, 3)
    assert [(e["index"], e["field"], e["code"]) for e in result["errors"]] == [
        (2, "prices.XXX", "unknown_currency"),
        (3, "colour", "unknown_field"),
        (4, "weight_grams", "out_of_range"),
    ]
    assert (await get(api, "/products/A-1"))["name"] == "A"
    assert (await get(api, "/products/B-1"))["name"] == "B newer"
    missing = await api.http.get("/products/C-1", headers=api.auth("storefront"))
    assert error_of(missing)["code"] == "sku_not_found"


async def test_a_barcode_stays_with_one_product(api: Api) -> None:
    await put(api, "LAMP-1", LAMP)

    other = await put(api, "LAMP-2", {**LAMP, "barcodes": ["12345678", "3760000000017"]})
    batch = await api.http.post(
        "/products",
        json={
            "rows": [
                {"sku": "LAMP-3", "name": "L", "category": "home", "barcodes": ["3760000000017"]}
            ]
        },
        headers=api.auth("integration"),
    )

    assert other.status_code == 422, other.text
    assert (error_of(other)["code"], error_of(other)["field"]) == ("barcode_taken", "barcodes[1]")
    errors = batch.json()["errors"]
    assert [(e["index"], e["field"], e["code"]) for e in errors] == [
        (0, "barcodes[0]", "barcode_taken")
    ]


async def test_a_barcode_given_up_by_a_row_not_applied_stays_taken(api: Api) -> None:
    await put(api, "LAMP-1", LAMP)  # version 3, with the barcode
    rows = [
        {"sku": "LAMP-1", "name": "L", "category": "home", "barcodes": [], "source_version": 2},
        {"sku": "LAMP-2", "name": "L", "category": "home", "barcodes": LAMP["barcodes"]},
        {"sku": "LAMP-3", "name": "L", "category": "home", "barcodes": ["12345670"]},
    ]

    batch = await api.http.post("/products", json={"rows": rows}, headers=api.auth("integration"))

    result = batch.json()
    assert (result["applied"], result["stale"], result["rejected"]) == (1, 1, 1)
    assert [(e["index"], e["code"]) for e in result["errors"]] == [(1, "barcode_taken")]
    assert (await get(api, "/products/LAMP-1"))["barcodes"] == LAMP["barcodes"]


async def test_bad_products_are_refused_with_the_field(api: Api) -> None:
    huge = await put(api, "BIG", {**LAMP, "attributes": {"text": "x" * 20_000}})
    bad_sku = await put(api, "no spaces", LAMP)
    bad_gtin = await put(api, "LAMP-9", {**LAMP, "barcodes": ["12ab"]})
    as_storefront = await put(api, "LAMP-9", LAMP, role="storefront")

    assert (error_of(huge)["code"], error_of(huge)["field"]) == ("out_of_range", "attributes")
    assert (bad_sku.status_code, error_of(bad_sku)["field"]) == (422, "sku")
    assert (error_of(bad_gtin)["code"], error_of(bad_gtin)["field"]) == (
        "invalid_format",
        "barcodes[0]",
    )
    assert as_storefront.status_code == 403


async def test_products_are_listed_by_sku_filtered_and_paged(api: Api) -> None:
    rows = [
        {"sku": f"LAMP-{i}", "name": f"Lampe {i}", "category": "lighting", "active": i != 2}
        for i in range(1, 6)
    ]
    await api.http.post("/products", json={"rows": rows}, headers=api.auth("integration"))

    pages, cursor = [], None
    while True:
        url = "/products?category=lighting&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await get(api, url)
        pages.append([p["sku"] for p in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    inactive = await get(api, "/products?active=false", role="integration")
    found = await get(api, "/products?q=lampe%204")
    by_sku = await get(api, "/products?q=sku-t")
    bad = await api.http.get("/products?cursor=!!!", headers=api.auth("storefront"))

    assert pages == [["LAMP-1", "LAMP-2"], ["LAMP-3", "LAMP-4"], ["LAMP-5"]]
    assert [p["sku"] for p in inactive["items"]] == ["LAMP-2"]
    assert [p["sku"] for p in found["items"]] == ["LAMP-4"]
    assert [p["sku"] for p in by_sku["items"]] == ["SKU-TEE"]
    assert error_of(bad)["code"] == "invalid_cursor"


async def test_an_order_for_an_inactive_product_is_refused_naming_the_line(api: Api) -> None:
    await put(api, "SKU-MUG", {"name": "Mug", "category": "home", "active": False})

    placed = await api.http.post("/orders", json=order_body(), headers=api.auth("storefront"))

    assert placed.status_code == 422, placed.text
    error = error_of(placed)
    assert (error["code"], error["field"]) == ("product_inactive", "lines[1].sku")
    assert "line 2" in error["reason"]
