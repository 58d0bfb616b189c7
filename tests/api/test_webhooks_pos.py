"""A point of sale's signed sales and returns (issue 13, events in): stock moves at its
store, once per event id; and senders registered with a kind and their locations."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
from sqlmodel import select

from oms.db.tables import OutboxEvent
from oms.webhooks import sign
from tests.api.conftest import Api, Json, error_of
from tests.api.test_availability import availability, item, web_fr


async def register(api: Api, sender: str, **body: Any) -> str:
    answer = await api.http.put(f"/webhooks/senders/{sender}", json=body, headers=api.auth("admin"))
    assert answer.status_code == 201, answer.text
    secret: str = answer.json()["secret"]
    return secret


async def post_signed(
    api: Api, path: str, secret: str, body: Json, event_id: str, *, timestamp: int | None = None
) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "OMS-Signature": sign(secret, raw, timestamp=timestamp),
        "OMS-Event-Id": event_id,
    }
    return await api.http.post(path, content=raw, headers=headers)


def till(type_: str, *lines: Json, location_id: str = "ST-OPERA") -> Json:
    return {
        "type": type_,
        "location_id": location_id,
        "occurred_at": "2026-12-08T15:00:00+00:00",
        "lines": list(lines),
    }


async def at_opera(api: Api, sku: str) -> tuple[int, int, int]:
    answer = await api.http.get(f"/inventory/{sku}", headers=api.auth("integration"))
    [opera] = [p for p in answer.json()["locations"] if p["location_id"] == "ST-OPERA"]
    return opera["on_hand"], opera["quarantined"], opera["atp"]


async def test_a_sale_then_a_return_move_the_stores_stock_once_each(api: Api) -> None:
    secret = await register(api, "pos:opera", locations=["ST-OPERA"])
    sale = till("sale", {"sku": "SKU-TEE", "quantity": 3}, {"sku": "SKU-MUG", "quantity": 1})
    back = till(
        "return",
        {"sku": "SKU-TEE", "quantity": 1},
        {"sku": "SKU-TEE", "quantity": 1, "resellable": False},
    )

    sold = await post_signed(api, "/webhooks/pos", secret, sale, "till-1")
    replayed = await post_signed(api, "/webhooks/pos", secret, sale, "till-1")
    assert await at_opera(api, "SKU-TEE") == (97, 0, 97)
    returned = await post_signed(api, "/webhooks/pos", secret, back, "till-2")

    assert sold.status_code == 200, sold.text
    assert (sold.json()["applied"], sold.json()["units"]) == (True, 4)
    assert (replayed.status_code, replayed.json()["applied"]) == (200, False)
    assert returned.json()["applied"] is True
    assert await at_opera(api, "SKU-TEE") == (98, 1, 98)
    assert await at_opera(api, "SKU-MUG") == (99, 0, 99)
    await web_fr(api, ["ST-OPERA"])
    promised = await availability(api, "channel=web-fr&skus=SKU-TEE")
    assert item(promised, "SKU-TEE")["atp"] == 98


async def test_a_till_speaks_only_for_its_stores_and_the_catalogues_skus(api: Api) -> None:
    secret = await register(api, "pos:opera", locations=["ST-OPERA"])

    elsewhere = await post_signed(
        api,
        "/webhooks/pos",
        secret,
        till("sale", {"sku": "SKU-TEE", "quantity": 1}, location_id="ST-BASTILLE"),
        "till-3",
    )
    unknown = await post_signed(
        api,
        "/webhooks/pos",
        secret,
        till("sale", {"sku": "SKU-TEE", "quantity": 1}, {"sku": "SKU-NOPE", "quantity": 1}),
        "till-4",
    )

    assert (elsewhere.status_code, error_of(elsewhere)["code"]) == (403, "location_not_allowed")
    assert (unknown.status_code, error_of(unknown)["field"]) == (422, "lines[1].sku")
    assert await at_opera(api, "SKU-TEE") == (100, 0, 100)


async def test_a_till_event_not_signed_now_with_a_pos_secret_is_401(api: Api) -> None:
    secret = await register(api, "pos:opera", locations=["ST-OPERA"])
    carrier = await register(api, "carrier:othercarrier")
    sale = till("sale", {"sku": "SKU-TEE", "quantity": 1})

    cases = {
        "signature_mismatch": await post_signed(api, "/webhooks/pos", carrier, sale, "t5"),
        "signature_expired": await post_signed(
            api, "/webhooks/pos", secret, sale, "t6", timestamp=int(time.time()) - 301
        ),
    }

    for code, answer in cases.items():
        assert (answer.status_code, error_of(answer)["code"]) == (401, code)
    assert await at_opera(api, "SKU-TEE") == (100, 0, 100)


async def test_a_sender_has_a_kind_and_only_a_wms_or_a_pos_has_locations(api: Api) -> None:
    admin = api.auth("admin")

    made = await api.http.put(
        "/webhooks/senders/acme-wms", json={"kind": "wms", "locations": ["WH-PARIS"]}, headers=admin
    )
    no_kind = await api.http.put("/webhooks/senders/acme", json={}, headers=admin)
    wrong = await api.http.put(
        "/webhooks/senders/carrier:dhl", json={"locations": ["ST-OPERA"]}, headers=admin
    )
    unknown = await api.http.put(
        "/webhooks/senders/pos:x", json={"locations": ["ST-NOWHERE"]}, headers=admin
    )
    rotated = await api.http.put("/webhooks/senders/acme-wms", json={}, headers=admin)
    listed = await api.http.get("/webhooks/senders", headers=admin)

    assert (made.status_code, made.json()["kind"], made.json()["locations"]) == (
        201,
        "wms",
        ["WH-PARIS"],
    )
    assert (no_kind.status_code, error_of(no_kind)["field"]) == (422, "kind")
    assert (wrong.status_code, error_of(wrong)["field"]) == (422, "locations")
    assert (unknown.status_code, error_of(unknown)["code"]) == (422, "location_not_found")
    assert (rotated.status_code, rotated.json()["locations"]) == (200, ["WH-PARIS"])
    assert [(s["sender"], s["kind"]) for s in listed.json()["items"]] == [("acme-wms", "wms")]


async def test_one_sale_sent_many_times_at_once_moves_stock_once(api: Api) -> None:
    secret = await register(api, "pos:opera", locations=["ST-OPERA"])
    sale = till("sale", {"sku": "SKU-JEAN", "quantity": 2})
    now = int(time.time())

    answers = await asyncio.gather(
        *(
            post_signed(api, "/webhooks/pos", secret, sale, "till-9", timestamp=now - n)
            for n in range(6)
        )
    )

    assert sorted(a.status_code for a in answers) == [200] * 6
    assert sum(a.json()["applied"] for a in answers) == 1
    assert await at_opera(api, "SKU-JEAN") == (98, 0, 98)


async def test_a_sale_beyond_what_the_store_holds_empties_it_and_says_the_record_was_short(
    api: Api,
) -> None:
    secret = await register(api, "pos:opera", locations=["ST-OPERA"])
    # 103 tees sold where the OMS holds 100 (and a mug of 100: no discrepancy)
    sale = till("sale", {"sku": "SKU-TEE", "quantity": 103}, {"sku": "SKU-MUG", "quantity": 1})

    sold = await post_signed(api, "/webhooks/pos", secret, sale, "till-9")
    await post_signed(api, "/webhooks/pos", secret, sale, "till-9")

    assert (sold.status_code, sold.json()["units"]) == (200, 104), sold.text
    assert await at_opera(api, "SKU-TEE") == (0, 0, 0)
    with api.db.session() as s:
        rows = s.exec(select(OutboxEvent).where(OutboxEvent.type == "inventory.discrepancy"))
        [event] = [r.payload for r in rows]
    assert event == {
        "location_id": "ST-OPERA",
        "sku": "SKU-TEE",
        "recorded_on_hand": 100,
        "sold": 103,
        "shortfall": 3,
        "source": "pos",
        "reference": "till-9",
    }
