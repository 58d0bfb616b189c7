"""Recommendations as a storefront asks for them: what the channel can promise, what ships
with the rest first, substitutes for what cannot be had."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from oms.db import affinity
from tests.api.conftest import Api, error_of
from tests.api.test_availability import EVERYWHERE, admin_post, set_stock, web_fr
from tests.recommendations import place_history

Json = dict[str, Any]
OPERA = "48.871,2.332"


async def relate(api: Api, sku: str, relations: list[Json], **product: Any) -> None:
    body = {"name": sku, "category": "home", "relations": relations, **product}
    r = await api.http.put(f"/products/{sku}", json=body, headers=api.auth("integration"))
    assert r.status_code in (200, 201), r.text


async def for_product(api: Api, sku: str, query: str = "", status: int = 200) -> Json:
    r = await api.http.get(
        f"/recommendations/product/{sku}?channel=web-fr{query}", headers=api.auth("storefront")
    )
    assert r.status_code == status, r.text
    body: Json = r.json()
    return body


async def for_cart(api: Api, body: Json, status: int = 200) -> Json:
    r = await api.http.post(
        "/recommendations/cart", json={"channel": "web-fr", **body}, headers=api.auth("storefront")
    )
    assert r.status_code == status, r.text
    out: Json = r.json()
    return out


def brief(items: list[Json]) -> list[tuple[str, str, bool]]:
    return [(i["sku"], i["ships_from"], i["extra_shipment"]) for i in items]


async def test_given_relations_come_first_by_weight_and_ship_with_the_product(api: Api) -> None:
    await web_fr(api, EVERYWHERE)
    await relate(
        api,
        "SKU-TEE",
        [
            {"sku": "SKU-MUG", "kind": "related", "weight": 0.3},
            {"sku": "SKU-JEAN", "kind": "accessory", "weight": 0.9},
            {"sku": "SKU-PHONE", "kind": "upsell"},
        ],
        category="apparel",
    )
    await set_stock(api, {(sku, "ST-OPERA"): 5 for sku in ("SKU-TEE", "SKU-MUG", "SKU-JEAN")})
    await set_stock(api, {("SKU-PHONE", "ST-OPERA"): 5})

    body = await for_product(api, "SKU-TEE", f"&destination={OPERA}")

    assert body["ships_from"] == ["ST-OPERA"]
    assert [i["sku"] for i in body["recommendations"]] == ["SKU-PHONE", "SKU-JEAN", "SKU-MUG"]
    assert body["recommendations"][1] == {
        "sku": "SKU-JEAN",
        "score": 0.86,
        "reason": "accessory of SKU-TEE",
        "ships_from": "ST-OPERA",
        "extra_shipment": False,
    }
    product = (await api.http.get("/products/SKU-TEE", headers=api.auth("storefront"))).json()
    assert [r["kind"] for r in product["relations"]] == ["related", "accessory", "upsell"]


async def test_an_item_out_of_stock_or_excluded_in_the_channel_is_never_recommended(
    api: Api,
) -> None:
    await web_fr(api, EVERYWHERE)
    await relate(
        api,
        "SKU-TEE",
        [{"sku": sku, "kind": "related"} for sku in ("SKU-MUG", "SKU-JEAN", "SKU-PHONE")],
        category="apparel",
    )
    await set_stock(
        api,
        {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 0, ("SKU-JEAN", "ST-OPERA"): 5,
         ("SKU-PHONE", "ST-OPERA"): 5},
    )  # fmt: skip
    await admin_post(api, "/exclusions", {"id": "no-jeans", "channel": "web-fr", "sku": "SKU-JEAN"})

    body = await for_product(api, "SKU-TEE")

    assert [i["sku"] for i in body["recommendations"]] == ["SKU-PHONE"]


async def test_an_item_elsewhere_adds_a_shipment_and_ranks_after_one_shipping_with_the_cart(
    api: Api,
) -> None:
    await web_fr(api, EVERYWHERE)
    await relate(
        api,
        "SKU-TEE",
        [{"sku": "SKU-MUG", "kind": "related", "weight": 1.0},
         {"sku": "SKU-JEAN", "kind": "related", "weight": 0.1}],
        category="apparel",
    )  # fmt: skip
    await set_stock(
        api,
        {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 0, ("SKU-MUG", "ST-LYON"): 4,
         ("SKU-JEAN", "ST-OPERA"): 2},
    )  # fmt: skip

    body = await for_cart(
        api,
        {"lines": [{"sku": "SKU-TEE", "quantity": 2}], "destination": {"lat": 48.87, "lon": 2.33}},
    )

    assert body["ships_from"] == ["ST-OPERA"]
    assert brief(body["recommendations"]) == [
        ("SKU-JEAN", "ST-OPERA", False),
        ("SKU-MUG", "ST-LYON", True),
    ]


async def test_a_postal_code_alone_places_the_customer_in_its_area(api: Api) -> None:
    await web_fr(api, EVERYWHERE)
    await relate(api, "SKU-TEE", [{"sku": "SKU-MUG", "kind": "related"}], category="apparel")
    await set_stock(
        api, {(sku, loc): 5 for sku in ("SKU-TEE", "SKU-MUG") for loc in ("ST-OPERA", "ST-LYON")}
    )

    paris = await for_product(api, "SKU-TEE", "&postal_code=75004")
    lyon = await for_cart(
        api, {"lines": [{"sku": "SKU-TEE", "quantity": 1}], "postal_code": "69002"}
    )

    # Not the centre of France (nearer Lyon than Paris) but the code's département.
    assert (paris["ships_from"], brief(paris["recommendations"])) == (
        ["ST-OPERA"],
        [("SKU-MUG", "ST-OPERA", False)],
    )
    assert lyon["ships_from"] == ["ST-LYON"]


async def test_substitutes_for_a_line_out_of_stock_where_the_rest_ships_from(api: Api) -> None:
    await web_fr(api, EVERYWHERE)
    await relate(api, "SKU-CUP", [])
    await relate(
        api,
        "SKU-MUG",
        [{"sku": "SKU-CUP", "kind": "substitute"}, {"sku": "SKU-BOWL", "kind": "substitute"}],
    )
    await relate(api, "SKU-BOWL", [])
    await set_stock(
        api,
        {("SKU-TEE", "ST-OPERA"): 5, ("SKU-MUG", "ST-OPERA"): 0, ("SKU-CUP", "ST-OPERA"): 3,
         ("SKU-BOWL", "ST-LYON"): 3},
    )  # fmt: skip

    body = await for_cart(
        api, {"lines": [{"sku": "SKU-TEE", "quantity": 1}, {"sku": "SKU-MUG", "quantity": 1}]}
    )

    assert body["missing"] == ["SKU-MUG"]
    assert body["ships_from"] == ["ST-OPERA"]
    assert brief(body["substitutes"]) == [
        ("SKU-CUP", "ST-OPERA", False),
        ("SKU-BOWL", "ST-LYON", True),
    ]
    assert body["substitutes"][0]["reason"] == "substitute for SKU-MUG"
    assert body["recommendations"] == []


async def test_a_collection_recommends_what_the_pickup_store_holds_first(api: Api) -> None:
    await web_fr(api, EVERYWHERE)
    await relate(
        api,
        "SKU-TEE",
        [{"sku": "SKU-MUG", "kind": "related", "weight": 1.0},
         {"sku": "SKU-JEAN", "kind": "related", "weight": 0.5}],
        category="apparel",
    )  # fmt: skip
    await set_stock(
        api,
        {("SKU-TEE", "ST-BASTILLE"): 5, ("SKU-MUG", "ST-OPERA"): 9, ("SKU-JEAN", "ST-BASTILLE"): 1},
    )

    body = await for_product(api, "SKU-TEE", "&pickup_store_id=ST-BASTILLE")

    assert body["ships_from"] == ["ST-BASTILLE"]
    assert brief(body["recommendations"]) == [
        ("SKU-JEAN", "ST-BASTILLE", False),
        ("SKU-MUG", "ST-OPERA", True),
    ]


async def test_learnt_affinity_from_the_order_history_is_offered_after_given_relations(
    api: Api,
) -> None:
    await web_fr(api, EVERYWHERE)
    await relate(api, "SKU-TEE", [{"sku": "SKU-JEAN", "kind": "related", "weight": 0.1}],
                 category="apparel")  # fmt: skip
    await set_stock(api, {(sku, "ST-OPERA"): 5 for sku in ("SKU-TEE", "SKU-MUG", "SKU-JEAN")})
    past = datetime.now(UTC) - timedelta(days=1)
    place_history(api.db, [["SKU-TEE", "SKU-MUG"]] * 4 + [["SKU-PHONE"]] * 20, start=0, at=past)
    affinity.refresh(api.db, lambda: datetime.now(UTC), max_orders=1000)

    body = await for_product(api, "SKU-TEE")

    assert [(i["sku"], i["reason"]) for i in body["recommendations"]] == [
        ("SKU-JEAN", "related of SKU-TEE"),
        ("SKU-MUG", "co-bought 4 times with SKU-TEE"),
    ]


async def test_bad_asks_are_refused_with_the_field_and_a_stable_code(api: Api) -> None:
    await web_fr(api, EVERYWHERE)

    bad_point = await for_product(api, "SKU-TEE", "&destination=north", status=422)
    unknown_sku = await for_product(api, "SKU-NOPE", status=404)
    not_a_store = await for_product(api, "SKU-TEE", "&pickup_store_id=WH-PARIS", status=422)
    r = await api.http.get(
        "/recommendations/product/SKU-TEE?channel=web-xx", headers=api.auth("storefront")
    )
    cart = await for_cart(api, {"lines": [{"sku": "SKU-NOPE", "quantity": 1}]}, status=422)

    assert (bad_point["code"], bad_point["field"]) == ("invalid_format", "destination")
    assert unknown_sku["code"] == "sku_not_found"
    assert (not_a_store["code"], not_a_store["field"]) == ("unknown_store", "pickup_store_id")
    assert (r.status_code, error_of(r)["code"]) == (404, "channel_not_found")
    assert cart["errors"][0]["field"] == "lines[0].sku"


async def test_a_relation_to_the_product_itself_or_named_twice_is_refused(api: Api) -> None:
    body = {
        "name": "Tee",
        "category": "apparel",
        "relations": [
            {"sku": "SKU-MUG", "kind": "related"},
            {"sku": "SKU-TEE", "kind": "accessory"},
            {"sku": "SKU-MUG", "kind": "related", "weight": 0.2},
            {"sku": "SKU-JEAN", "kind": "cousin"},
        ],
    }
    r = await api.http.put("/products/SKU-TEE", json=body, headers=api.auth("integration"))
    body["relations"] = body["relations"][:3]
    again = await api.http.put("/products/SKU-TEE", json=body, headers=api.auth("integration"))

    assert r.status_code == 422
    assert error_of(r)["field"] == "relations[3].kind"
    assert again.status_code == 422
    assert [(e["field"], e["code"]) for e in error_of(again)["errors"]] == [
        ("relations[1].sku", "duplicate_row"),
        ("relations[2].sku", "duplicate_row"),
    ]
