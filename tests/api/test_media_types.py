"""A JSON body sent as another content type is 415 unsupported_media_type on every endpoint
that reads JSON; the CSV sync keeps taking CSV. (The document's 415: test_openapi.py.)"""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import Api, error_of, new_id, order_body

NOT_JSON = [
    {"Content-Type": "text/plain"},
    {"Content-Type": "application/xml"},
    {"Content-Type": "application/x-www-form-urlencoded"},  # curl -d without -H
    {},  # no content type at all
]


@pytest.mark.parametrize("content_type", NOT_JSON)
async def test_an_order_sent_as_another_content_type_is_415(
    api: Api, content_type: dict[str, str]
) -> None:
    answer = await api.http.post(
        "/orders", content=b"{}", headers={**api.auth("storefront"), **content_type}
    )

    assert answer.status_code == 415, answer.text
    error = error_of(answer)
    assert (error["code"], error["field"]) == ("unsupported_media_type", "content-type")


async def test_every_json_endpoint_refuses_another_content_type_alike(api: Api) -> None:
    product = await api.http.put(
        "/products/TST-001",
        content=b'{"name": "Tee", "category": "apparel"}',
        headers={**api.auth("integration"), "Content-Type": "text/plain"},
    )
    channel = await api.http.patch(
        "/channels/web-fr",
        content=b'{"name": "Web"}',
        headers={**api.auth("admin"), "Content-Type": "text/plain; charset=utf-8"},
    )

    assert (product.status_code, error_of(product)["code"]) == (415, "unsupported_media_type")
    assert (channel.status_code, error_of(channel)["code"]) == (415, "unsupported_media_type")


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"],
)
async def test_json_and_its_suffix_types_are_read_as_json(api: Api, content_type: str) -> None:
    body = order_body()

    answer = await api.http.post(
        "/orders",
        content=json.dumps(body).encode(),
        headers={**api.auth("storefront"), "Content-Type": content_type},
    )

    assert answer.status_code == 201, answer.text


async def test_an_empty_body_where_one_is_optional_needs_no_content_type(api: Api) -> None:
    answer = await api.http.post(f"/orders/{new_id('O')}/cancel", headers=api.auth("analyst"))

    assert answer.status_code == 404, answer.text
    assert error_of(answer)["code"] == "order_not_found"


async def test_the_csv_sync_still_takes_csv(api: Api) -> None:
    answer = await api.http.post(
        "/inventory/syncs?location_id=ST-OPERA",
        content=b"sku,location_id,on_hand\nSKU-TEE,ST-OPERA,7\n",
        headers={**api.auth("integration"), "Content-Type": "text/csv"},
    )

    assert answer.status_code == 202, answer.text
