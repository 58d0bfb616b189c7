"""A store working the steps of its fulfilment profile over the API (the ``BOUTIQUE``
profile of tests/api/conftest.py): every unit scanned at the pick and again at the bench, a
photo, the carrier's label scanned at handover, the customer's code at the counter."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from oms.db.tables import OutboxEvent
from tests.api.conftest import Api, Json, collect_body, error_of, order_body

TEE, MUG, JEAN = "04006381333931", "12345670", "5012345678900"
PARCELS = {"parcels": [{"weight_grams": 900}]}


async def _post(api: Api, url: str, json: Any = None, role: str = "opera") -> Any:
    return await api.http.post(url, json=json, headers=api.auth(role))


async def _barcodes(api: Api) -> None:
    items = [
        {"sku": "SKU-TEE", "barcodes": [TEE]},
        {"sku": "SKU-MUG", "barcodes": [MUG]},
        {"sku": "SKU-JEAN", "barcodes": [JEAN]},
    ]
    put = await api.http.put(
        "/products/barcodes", json={"items": items}, headers=api.auth("integration")
    )
    assert put.status_code == 200, put.text


async def _scan(api: Api, fid: str, barcode: str) -> Any:
    return await _post(api, f"/fulfilments/{fid}/scans", {"barcode": barcode})


def _counts(answer: Json) -> list[tuple[str, int, int]]:
    return [(line["line_id"], line["expected"], line["scanned"]) for line in answer["lines"]]


async def _picked_by_scans(api: Api, body: Json) -> str:
    """Place the order, scan its 2 tees and its mug at the pick, and pick from the scans."""
    await _barcodes(api)
    await api.place(body)
    fid = str((await api.until_step(body["id"], "pick"))["id"])
    for barcode in (TEE, TEE, MUG):
        assert (await _scan(api, fid, barcode)).status_code == 200
    picked = await _post(api, f"/fulfilments/{fid}/pick")
    assert picked.status_code == 200, picked.text
    return fid


async def _verified(api: Api, order_id: str, fid: str) -> None:
    await api.until_step(order_id, "verify")
    for barcode in (TEE, TEE, MUG):
        assert (await _scan(api, fid, barcode)).status_code == 200
    done = await _post(api, f"/fulfilments/{fid}/steps/verify/complete")
    assert done.status_code == 200, done.text


async def test_a_scanned_pick_refuses_another_product_and_is_completed_from_its_scans(
    api_with_profiles: Api,
) -> None:
    api = api_with_profiles
    await _barcodes(api)
    body = order_body()
    await api.place(body)

    row = await api.until_step(body["id"], "pick")
    fid = row["id"]
    # The store app sees the profile, its steps and what to do first, from the row alone
    assert row["profile"] == "boutique@1"
    assert [s["key"] for s in row["steps"]] == [
        "pick", "verify", "photo", "pack", "label", "handover"
    ]  # fmt: skip
    assert (row["current_step"]["type"], row["current_step"]["mode"]) == ("pick", "scan_each")
    assert "collection_code" not in str(row)

    jeans = await _scan(api, fid, JEAN)
    assert jeans.status_code == 422, jeans.text
    assert (error_of(jeans)["code"], error_of(jeans)["field"]) == ("wrong_item", "barcode")
    unknown = await _scan(api, fid, "99999997")
    assert error_of(unknown)["code"] == "unknown_barcode"
    one = await _scan(api, fid, TEE)
    assert one.status_code == 200, one.text
    # The jeans counted nothing
    assert _counts(one.json()) == [("1", 2, 1), ("2", 1, 0)]
    # Staff cannot report more than they scanned
    claimed = await _post(
        api,
        f"/fulfilments/{fid}/pick",
        {"lines": [{"line_id": "1", "picked": 2}, {"line_id": "2", "picked": 1}]},
    )
    assert claimed.status_code == 422, claimed.text
    assert (error_of(claimed)["code"], error_of(claimed)["field"]) == (
        "not_scanned",
        "lines[0].picked",
    )
    await _scan(api, fid, TEE)
    full = await _scan(api, fid, MUG)
    assert _counts(full.json()) == [("1", 2, 2), ("2", 1, 1)]
    extra = await _scan(api, fid, MUG)
    assert error_of(extra)["code"] == "pick_exceeds_requested"
    # Another store does not see it
    elsewhere = await _post(api, f"/fulfilments/{fid}/scans", {"barcode": TEE}, role="bastille")
    assert elsewhere.status_code == 404, elsewhere.text

    picked = await _post(api, f"/fulfilments/{fid}/pick")

    assert picked.status_code == 200, picked.text
    assert picked.json()["status"] == "PICKED"
    assert [line["picked"] for line in picked.json()["lines"]] == [2, 1]
    listed = await api.until_step(body["id"], "verify")
    assert [(s["key"], s["status"]) for s in listed["steps"][:2]] == [
        ("pick", "done"),
        ("verify", "active"),
    ]


async def test_a_shipment_is_verified_photographed_and_handed_over_by_its_label(
    api_with_profiles: Api,
) -> None:
    api = api_with_profiles
    body = order_body()
    fid = await _picked_by_scans(api, body)
    await api.until_step(body["id"], "verify")

    # Not every picked unit is scanned again at the bench yet
    early = await _post(api, f"/fulfilments/{fid}/steps/verify/complete")
    assert early.status_code == 422, early.text
    assert (error_of(early)["code"], error_of(early)["field"]) == ("not_scanned", "lines[0]")
    await _scan(api, fid, TEE)
    await _scan(api, fid, MUG)
    still = await _post(api, f"/fulfilments/{fid}/steps/verify/complete")
    assert [e["field"] for e in error_of(still)["errors"]] == ["lines[0]"]
    await _scan(api, fid, TEE)
    verified = await _post(api, f"/fulfilments/{fid}/steps/verify/complete")
    assert verified.status_code == 200, verified.text

    await api.until_step(body["id"], "photo")
    # A reason for a short pick is no reason to skip a step
    skip = await _post(api, f"/fulfilments/{fid}/steps/photo/skip", {"reason": "damaged"})
    assert skip.status_code == 422, skip.text
    assert (error_of(skip)["code"], error_of(skip)["field"]) == ("reason_not_allowed", "reason")
    blank = await _post(api, f"/fulfilments/{fid}/steps/photo/complete", {})
    assert (error_of(blank)["code"], error_of(blank)["field"]) == ("required", "photo")
    photo = "https://photos.example.com/parcel-1.jpg"
    taken = await _post(api, f"/fulfilments/{fid}/steps/photo/complete", {"photo": photo})
    assert taken.status_code == 200, taken.text
    assert [(s["status"], s["photo"]) for s in taken.json()["steps"] if s["key"] == "photo"] == [
        ("done", photo)
    ]

    await api.until_step(body["id"], "pack")
    packed = await _post(api, f"/fulfilments/{fid}/pack", PARCELS)
    assert packed.status_code == 200, packed.text
    labelled = await api.until_step(body["id"], "label")
    tracking = labelled["tracking_number"]
    assert tracking
    assert (await _post(api, f"/fulfilments/{fid}/steps/label/complete")).status_code == 200
    await api.until_step(body["id"], "handover")
    other = await _post(api, f"/fulfilments/{fid}/handover", {"label": "1Z-NOT-OURS"})
    assert other.status_code == 422, other.text
    assert (error_of(other)["code"], error_of(other)["field"]) == ("invalid", "label")

    gone = await _post(api, f"/fulfilments/{fid}/handover", {"label": tracking})

    assert gone.status_code == 200, gone.text
    assert gone.json()["status"] == "SHIPPED"
    shipped = await api.until_fulfilment(body["id"], "SHIPPED")
    assert shipped["current_step"] is None
    assert {s["status"] for s in shipped["steps"]} == {"done"}


def _collection_code(api: Api, order_id: str) -> str:
    with api.db.reading() as s:
        events = s.exec(select(OutboxEvent).where(OutboxEvent.order_id == order_id))
        [code] = [
            e.payload["collection_code"]
            for e in events
            if e.type == "fulfilment.ready_for_collection"
        ]
    return str(code)


async def _ready_for_collection(api: Api, body: Json) -> tuple[str, Json]:
    """Picked, verified, photo skipped and packed: (the fulfilment, its row once ready)."""
    fid = await _picked_by_scans(api, body)
    await _verified(api, body["id"], fid)
    await api.until_step(body["id"], "photo")
    skipped = await _post(
        api, f"/fulfilments/{fid}/steps/photo/skip", {"reason": "equipment_unavailable"}
    )
    assert skipped.status_code == 200, skipped.text
    await api.until_step(body["id"], "pack")
    assert (await _post(api, f"/fulfilments/{fid}/pack", PARCELS)).status_code == 200
    return fid, await api.until_step(body["id"], "collected")


async def test_a_collection_is_handed_over_only_for_the_customers_code(
    api_with_profiles: Api,
) -> None:
    api = api_with_profiles
    body = collect_body()
    fid, ready = await _ready_for_collection(api, body)
    assert ready["status"] == "READY_FOR_COLLECTION"
    photo = next(s for s in ready["steps"] if s["key"] == "photo")
    assert (photo["status"], photo["reason"]) == ("skipped", "equipment_unavailable")
    code = _collection_code(api, body["id"])

    # The old hand-over without a code is refused for a fulfilment that runs a profile
    old = await _post(api, f"/fulfilments/{fid}/collected")
    assert old.status_code == 409, old.text
    assert error_of(old)["code"] == "invalid_state"
    wrong = await _post(api, f"/fulfilments/{fid}/collect", {"code": "X" + code})
    assert wrong.status_code == 422, wrong.text
    assert (error_of(wrong)["code"], error_of(wrong)["field"]) == ("invalid", "code")

    collected = await _post(api, f"/fulfilments/{fid}/collect", {"code": code})

    assert collected.status_code == 200, collected.text
    assert collected.json()["status"] == "COLLECTED"
    order = await api.until(body["id"], lambda v: v["status"] == "COMPLETED")
    assert order["fulfilments"][0]["status"] == "COLLECTED"


async def test_a_customer_takes_part_of_a_collection_then_comes_back_for_the_rest(
    api_with_profiles: Api,
) -> None:
    api = api_with_profiles
    body = collect_body()
    fid, _ = await _ready_for_collection(api, body)
    code = _collection_code(api, body["id"])
    url = f"/fulfilments/{fid}/collect"

    async def take(*lines: tuple[str, int], code: str = code) -> Any:
        taken = [{"line_id": line_id, "quantity": n} for line_id, n in lines]
        return await _post(api, url, {"code": code, "lines": taken})

    # Lines and quantities that do not fit what waits for the customer are refused by field
    refused = {
        "unknown": await take(("9", 1)),
        "too_many": await take(("1", 3)),
        "none": await take(("1", 0)),
        "twice": await take(("1", 1), ("1", 1)),
        "empty": await _post(api, url, {"code": code, "lines": []}),
    }
    assert {k: r.status_code for k, r in refused.items()} == dict.fromkeys(refused, 422)
    assert [(error_of(r)["code"], error_of(r)["field"]) for r in refused.values()][:2] == [
        ("unknown_line", "lines[0].line_id"),
        ("invalid_quantity", "lines[0].quantity"),
    ]
    assert error_of(refused["none"])["field"] == "lines[0].quantity"
    assert error_of(refused["twice"])["code"] == "duplicate_line_id"
    # The code is still checked first at the counter
    wrong = await take(("1", 1), code="X" + code)
    assert (error_of(wrong)["code"], error_of(wrong)["field"]) == ("invalid", "code")

    part = await take(("1", 1))

    assert part.status_code == 200, part.text
    assert part.json()["status"] == "PARTIALLY_COLLECTED"
    assert [line["collected"] for line in part.json()["lines"]] == [1, 0]
    row = await api.until_fulfilment(body["id"], "PARTIALLY_COLLECTED")
    assert row["current_step"]["key"] == "collected"
    more = await take(("1", 2))
    assert (error_of(more)["code"], error_of(more)["field"]) == (
        "invalid_quantity",
        "lines[0].quantity",
    )
    rest = await _post(api, url, {"code": code})
    assert rest.status_code == 200, rest.text
    assert rest.json()["status"] == "COLLECTED"
    order = await api.until(body["id"], lambda v: v["status"] == "COMPLETED")
    assert order["payment"]["captured"] == order["total"]
    after = await take(("1", 1))
    assert after.status_code == 409, after.text
