"""Bulk inventory syncs over the API: upload a snapshot file, follow it, read its refused rows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from api.routers import syncs as sync_router
from tests.api.conftest import POLL_SECONDS, Api, error_of

Json = dict[str, Any]
CSV = {"Content-Type": "text/csv"}
JSONL = {"Content-Type": "application/x-ndjson"}


async def upload(
    api: Api,
    body: str,
    *,
    headers: dict[str, str] | None = None,
    role: str = "integration",
    **q: str,
) -> Any:
    return await api.http.post(
        "/inventory/syncs",
        content=body.encode(),
        params=q,
        headers={**(headers or CSV), **api.auth(role)},
    )


async def until_sync(api: Api, sync_id: str, predicate: Callable[[Json], bool]) -> Json:
    deadline = asyncio.get_running_loop().time() + POLL_SECONDS
    body: Json = {}
    while asyncio.get_running_loop().time() < deadline:
        r = await api.http.get(f"/inventory/syncs/{sync_id}", headers=api.auth("analyst"))
        assert r.status_code == 200, r.text
        body = r.json()
        if predicate(body):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"sync {sync_id} never got there: {body}")


def done(body: Json) -> bool:
    return body["status"] in ("completed", "failed")


async def on_hand(api: Api, sku: str, location_id: str) -> int:
    r = await api.http.get(f"/inventory/{sku}", headers=api.auth("integration"))
    assert r.status_code == 200, r.text
    found: int = next(p for p in r.json()["locations"] if p["location_id"] == location_id)[
        "on_hand"
    ]
    return found


async def test_a_store_snapshot_is_applied_and_its_bad_rows_are_reported(api: Api) -> None:
    # Given the Opéra store holds 100 of each SKU; its count lists tee shirts and mugs, has a
    # typo on jeans, and leaves phones out
    r = await upload(
        api,
        "sku,location_id,on_hand,in_transit\n"
        "SKU-TEE,ST-OPERA,40,\n"
        "SKU-MUG,ST-OPERA,41,2\n"
        "SKU-TEE,ST-NOWHERE,1,\n"
        "SKU-JEAN,ST-OPERA,-3,\n"
        "SKU-MUG,ST-OPERA\n"
        "SKU-NOPE,ST-OPERA,1,\n"
        "SKU-TEE,ST-OPERA,39,\n",
        location_id="ST-OPERA",
    )

    # Then it is accepted with each bad row's number, field, code and reason
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert r.headers["Location"] == f"/inventory/syncs/{accepted['id']}"
    assert accepted["workflow_id"] == f"inventory-sync-{accepted['id']}"
    assert (accepted["missing"], accepted["format"], accepted["location_id"]) == (
        "zero",
        "csv",
        "ST-OPERA",
    )
    assert (accepted["total_rows"], accepted["rejected"]) == (7, 5)
    assert [(e["row"], e["field"], e["code"]) for e in accepted["errors"]] == [
        (3, "location_id", "location_not_found"),
        (4, "on_hand", "out_of_range"),
        (5, "row", "invalid_format"),
        (6, "sku", "unknown_sku"),
        (7, "location_id", "duplicate_row"),
    ]
    assert all(e["reason"] for e in accepted["errors"])

    # When it has run
    final = await until_sync(api, accepted["id"], done)

    # Then the good rows are applied, the phones it left out zeroed, the jeans it named kept
    assert final["status"] == "completed", final
    assert (final["applied"], final["stale"], final["zeroed"]) == (2, 0, 1)
    assert final["progress"] == {
        "chunk_size": 5000,
        "chunks_done": 1,
        "chunks_total": 1,
        "percent": 100,
    }
    assert final["started_at"] is not None
    assert final["finished_at"] is not None
    assert final["created_by"] == "integration:test-integration"
    assert await on_hand(api, "SKU-TEE", "ST-OPERA") == 40
    assert await on_hand(api, "SKU-MUG", "ST-OPERA") == 41
    assert await on_hand(api, "SKU-JEAN", "ST-OPERA") == 100
    assert await on_hand(api, "SKU-PHONE", "ST-OPERA") == 0


async def test_a_network_file_in_json_lines_keeps_the_positions_it_leaves_out(api: Api) -> None:
    r = await upload(
        api,
        '{"sku": "SKU-TEE", "location_id": "ST-LYON", "on_hand": 7, "source_version": 3}\n'
        '{"sku": "SKU-TEE", "location_id": "ST-OPERA", "on_hand": 8}\n',
        headers={"Content-Type": "application/jsonl; charset=utf-8"},
    )
    assert r.status_code == 202, r.text

    final = await until_sync(api, r.json()["id"], done)

    assert (final["status"], final["missing"], final["format"]) == ("completed", "keep", "jsonl")
    assert (final["applied"], final["zeroed"], final["rejected"]) == (2, 0, 0)
    assert await on_hand(api, "SKU-TEE", "ST-LYON") == 7
    assert await on_hand(api, "SKU-MUG", "ST-OPERA") == 100


async def test_refused_rows_page_through_in_file_order(api: Api) -> None:
    bad = "".join(f"SKU-TEE,ST-OPERA,-{n},\n" for n in range(1, 26))
    r = await upload(api, "sku,location_id,on_hand,in_transit\nSKU-MUG,ST-LYON,1,\n" + bad)
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert len(accepted["errors"]) == 20
    assert accepted["errors_next_cursor"]

    url = f"/inventory/syncs/{accepted['id']}/errors"
    first = await api.http.get(url, params={"limit": 10}, headers=api.auth("analyst"))
    cursor = first.json()["next_cursor"]
    rest = await api.http.get(
        url, params={"limit": 100, "cursor": cursor}, headers=api.auth("analyst")
    )
    foreign = await api.http.get(url, params={"cursor": "nope"}, headers=api.auth("analyst"))

    assert [e["row"] for e in first.json()["items"]] == list(range(2, 12))
    assert [e["row"] for e in rest.json()["items"]] == list(range(12, 27))
    assert rest.json()["next_cursor"] is None
    assert foreign.status_code == 422
    assert error_of(foreign)["code"] == "invalid_cursor"
    await until_sync(api, accepted["id"], done)


async def test_syncs_are_listed_newest_first(api: Api) -> None:
    ids = []
    for n in (1, 2):
        r = await upload(api, f"sku,location_id,on_hand\nSKU-TEE,ST-LYON,{n}\n")
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
        await until_sync(api, ids[-1], done)

    page = await api.http.get("/inventory/syncs", params={"limit": 1}, headers=api.auth("analyst"))
    more = await api.http.get(
        "/inventory/syncs",
        params={"limit": 1, "cursor": page.json()["next_cursor"]},
        headers=api.auth("analyst"),
    )
    done_only = await api.http.get(
        "/inventory/syncs", params={"status": "completed"}, headers=api.auth("integration")
    )

    assert page.status_code == 200, page.text
    assert [s["id"] for s in page.json()["items"]] == [ids[1]]
    assert [s["id"] for s in more.json()["items"]] == [ids[0]]
    assert more.json()["next_cursor"] is None
    assert {s["id"] for s in done_only.json()["items"]} == set(ids)


@pytest.mark.parametrize(
    ("body", "params", "headers", "status", "code", "field"),
    [
        ("sku,location_id,on_hand\n", {}, {"Content-Type": "application/json"}, 415,
         "unsupported_media_type", "content-type"),
        ("", {}, CSV, 422, "required", "body"),
        ("sku,location_id,on_hand\n", {}, CSV, 422, "required", "body"),
        ("sku,location_id,on_hand,colour\nSKU-TEE,ST-OPERA,1,red\n", {}, CSV, 422,
         "unknown_field", "header"),
        ("sku,location_id,on_hand\nSKU-TEE,ST-OPERA,1\n", {"location_id": "ST-MARS"}, CSV, 422,
         "location_not_found", "location_id"),
        ("sku,location_id,on_hand\nSKU-TEE,ST-OPERA,x\n", {}, CSV, 422, "invalid_type",
         "rows[1].on_hand"),
        ("sku,location_id,on_hand\nSKU-TEE,ST-OPERA,1\n", {"missing": "some"}, CSV, 422,
         "invalid", "missing"),
    ],
)  # fmt: skip
async def test_a_file_that_cannot_be_a_sync_is_refused_whole(
    api: Api,
    body: str,
    params: dict[str, str],
    headers: dict[str, str],
    status: int,
    code: str,
    field: str,
) -> None:
    r = await upload(api, body, headers=headers, **params)

    assert r.status_code == status, r.text
    assert (error_of(r)["code"], error_of(r)["field"]) == (code, field)
    listed = await api.http.get("/inventory/syncs", headers=api.auth("analyst"))
    assert listed.json()["items"] == []


async def test_a_file_over_the_size_limit_is_413(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync_router, "MAX_BYTES", 64)
    r = await upload(api, "sku,location_id,on_hand\n" + "SKU-TEE,ST-OPERA,1\n" * 10)

    assert r.status_code == 413, r.text
    assert error_of(r)["code"] == "file_too_large"


async def test_an_unknown_sync_is_404(api: Api) -> None:
    one = await api.http.get("/inventory/syncs/nope", headers=api.auth("analyst"))
    errors = await api.http.get("/inventory/syncs/nope/errors", headers=api.auth("analyst"))

    assert (one.status_code, errors.status_code) == (404, 404)
    assert error_of(one)["code"] == error_of(errors)["code"] == "sync_not_found"


@pytest.mark.parametrize(
    ("method", "role", "status"),
    [
        ("post", "storefront", 403),
        ("post", "analyst", 403),
        ("post", "opera", 403),
        ("get", "storefront", 403),
        ("get", "opera", 403),
        ("get", "analyst", 200),
        ("get", "admin", 200),
    ],
)
async def test_only_integrations_upload_and_analysts_may_read(
    api: Api, method: str, role: str, status: int
) -> None:
    if method == "post":
        r = await upload(api, "sku,location_id,on_hand\nSKU-TEE,ST-OPERA,1\n", role=role)
    else:
        r = await api.http.get("/inventory/syncs", headers=api.auth(role))

    assert r.status_code == status, r.text
    if status == 403:
        assert error_of(r)["code"] == "forbidden"


async def test_without_a_key_syncs_are_401(api: Api) -> None:
    r = await api.http.post("/inventory/syncs", content=b"sku,location_id,on_hand\n", headers=CSV)

    assert r.status_code == 401
    assert error_of(r)["code"] == "unauthenticated"
