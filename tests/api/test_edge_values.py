"""Values at the edge of what the database holds are refused with the JSON error shape, never
a plain 500: offsets and versions past SQLite's integers, NUL characters where raw SQL reads
them, bodies that are not even text."""

from __future__ import annotations

from tests.api.conftest import Api, error_of
from tests.holds import add_channel


async def test_an_offset_past_what_the_database_counts_is_out_of_range(api: Api) -> None:
    huge = {"offset": 2**63}
    for url, role in (("/locations/ST-OPERA/fulfilments", "opera"), ("/tasks", "analyst")):
        answer = await api.http.get(url, params=huge, headers=api.auth(role))
        assert answer.status_code == 422, (url, answer.text)
        assert (error_of(answer)["code"], error_of(answer)["field"]) == ("out_of_range", "offset")


async def test_a_nul_in_a_sku_is_refused_on_the_availability_paths(api: Api) -> None:
    add_channel(api.db, "web-fr")
    shop = api.auth("storefront")
    options = {"channel": "web-fr", "lines": [{"sku": "SKU\x00TEE", "quantity": 1}]}

    posted = await api.http.post("/availability/options", json=options, headers=shop)
    asked = await api.http.get(
        "/availability", params={"channel": "web-fr", "skus": "SKU\x00TEE"}, headers=shop
    )

    for answer in (posted, asked):
        assert 400 <= answer.status_code < 500, answer.text
        assert error_of(answer)["code"]


async def test_a_profile_version_past_what_the_database_counts_is_out_of_range(api: Api) -> None:
    huge = f"/sourcing/profiles/central/versions/{2**63}"
    admin = api.auth("admin")

    answers = [
        await api.http.get(huge, headers=admin),
        await api.http.put(huge, json={}, headers=admin),
        await api.http.post(f"{huge}/publish", headers=admin),
    ]

    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert (error_of(answer)["code"], error_of(answer)["field"]) == ("out_of_range", "version")


async def test_a_body_that_is_not_utf8_is_malformed_json_like_any_other(api: Api) -> None:
    answer = await api.http.post(
        "/orders",
        content=b'{"id": "\xff"}',
        headers={**api.auth("storefront"), "Content-Type": "application/json"},
    )

    assert answer.status_code == 422, answer.text
    assert (error_of(answer)["code"], error_of(answer)["field"]) == ("malformed_json", "body")
