"""Ship to store over the API: a collection its store cannot serve is refused at intake unless
the channel's profile allows a transfer; a transfer is received by the store it goes to, by
that store's key only, then collected there."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from oms.db import orders as order_repo
from oms.db.tables import InventoryPosition, OutboxEvent
from tests.api.conftest import Api, Json, collect_body, error_of, full_pick
from tests.api.test_fulfilment_steps import JEAN, MUG, TEE, _barcodes
from tests.workflows.record_transfer_paths import allow_transfers

PARCELS = {"parcels": [{"weight_grams": 900, "reference": "BOX-1"}]}


async def _post(api: Api, url: str, json: Any, role: str) -> Any:
    return await api.http.post(url, json=json, headers=api.auth(role))


async def _listed(api: Api, location_id: str, role: str) -> list[str]:
    page = await api.http.get(f"/locations/{location_id}/fulfilments", headers=api.auth(role))
    assert page.status_code == 200, page.text
    return [f["id"] for f in page.json()["items"]]


async def test_a_collection_its_store_cannot_serve_is_refused_naming_where_it_can_be(
    api: Api,
) -> None:
    # Given only the Opéra store holds the cart, and the channel allows no transfer
    body = collect_body(store_id="ST-BASTILLE")

    # When the storefront places it for collection at the Bastille store
    response = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    # Then it is refused, naming the Opéra store, and nothing is stored or started
    assert response.status_code == 422, response.text
    error = response.json()
    assert (error["code"], error["field"]) == ("not_available_at_store", "delivery.store_id")
    assert "transfer_to_store" in error["reason"]
    assert "ST-OPERA" in error["reason"]
    assert error["detail"] == {"store_id": "ST-BASTILLE", "stores": ["ST-OPERA"]}
    with api.db.reading() as s:
        assert order_repo.get_order(s, body["id"]) is None
    gone = await api.http.get(f"/orders/{body['id']}", headers=api.auth("analyst"))
    assert gone.status_code == 404


async def _on_its_way(api: Api, body: Json) -> Json:
    """A collection at the Bastille store, which has none of it: the Opéra store picks and
    ships it there. Answers it as the Bastille store's list shows it on its way."""
    allow_transfers(api.db)
    await api.place(body)
    fulfilment = await api.until_fulfilment(body["id"], "AWAITING_PICK")
    fid = fulfilment["id"]
    assert (fulfilment["location_id"], fulfilment["transfer_to"]) == ("ST-OPERA", "ST-BASTILLE")
    assert await _listed(api, "ST-BASTILLE", "bastille") == []  # not the store's work yet
    picked = await _post(api, f"/fulfilments/{fid}/pick", full_pick(fulfilment), "opera")
    assert picked.status_code == 200, picked.text
    assert (await _post(api, f"/fulfilments/{fid}/pack", PARCELS, "opera")).status_code == 200
    return await api.until_fulfilment(
        body["id"], "IN_TRANSIT", location_id="ST-BASTILLE", role="bastille"
    )


async def test_a_transfer_is_received_by_its_store_only_then_collected_there(api: Api) -> None:
    # Given a transfer on its way from the Opéra store to the Bastille store
    body = collect_body(store_id="ST-BASTILLE")
    arriving = await _on_its_way(api, body)
    fid = arriving["id"]

    # Then the Bastille store sees it among its transfers to receive
    assert arriving["current_step"]["key"] == "receive"
    assert await _listed(api, "ST-OPERA", "opera") == []  # no longer the source's work
    label = arriving["tracking_number"]
    # ...in its work list too, and the source has no more work on it
    store_work = await api.http.get(
        "/locations/ST-BASTILLE/work",
        params={"kind": "transfer_to_receive"},
        headers=api.auth("bastille"),
    )
    assert [(i["fulfilment_id"], i["step"]) for i in store_work.json()["items"]] == [
        (fid, "receive")
    ]
    source_work = await api.http.get("/locations/ST-OPERA/work", headers=api.auth("opera"))
    assert [i for i in source_work.json()["items"] if i.get("fulfilment_id") == fid] == []

    # When the store that shipped it tries to receive it, it is not theirs to receive
    theirs = await _post(api, f"/fulfilments/{fid}/receive", {"label": label}, "opera")
    assert theirs.status_code == 404, theirs.text
    assert error_of(theirs)["code"] == "fulfilment_not_found"
    # ...and a label of another parcel is refused at the store
    wrong = await _post(api, f"/fulfilments/{fid}/receive", {"label": "BOX-9"}, "bastille")
    assert wrong.status_code == 422, wrong.text
    assert (error_of(wrong)["code"], error_of(wrong)["field"]) == ("invalid", "label")

    # When the Bastille store scans the parcel's label
    received = await _post(api, f"/fulfilments/{fid}/receive", {"label": "BOX-1"}, "bastille")

    # Then it is ready for collection there, and the customer collects it at the Bastille
    assert received.status_code == 200, received.text
    await api.until_fulfilment(
        body["id"], "READY_FOR_COLLECTION", location_id="ST-BASTILLE", role="bastille"
    )
    with api.db.reading() as s:
        sent = s.exec(
            select(OutboxEvent).where(
                OutboxEvent.order_id == body["id"],
                OutboxEvent.type == "fulfilment.ready_for_collection",
            )
        ).one()
    code = {"code": sent.payload["collection_code"]}
    assert (await _post(api, f"/fulfilments/{fid}/collect", code, "opera")).status_code == 404
    collected = await _post(api, f"/fulfilments/{fid}/collect", code, "bastille")
    assert collected.status_code == 200, collected.text
    order = await api.until(body["id"], lambda v: v["status"] == "COMPLETED")
    assert [line["state"] for line in order["lines"]] == ["collected", "collected"]


async def test_a_transfer_is_received_by_scanning_each_unit_at_the_store(api: Api) -> None:
    # Given a transfer of two tees and a mug on its way to the Bastille store
    await _barcodes(api)
    body = collect_body(store_id="ST-BASTILLE")
    fid = (await _on_its_way(api, body))["id"]
    url = f"/fulfilments/{fid}/scans"

    # When the store receives it before scanning every unit, it is refused
    early = await _post(api, f"/fulfilments/{fid}/receive", None, "bastille")
    assert early.status_code == 422, early.text
    assert {e["code"] for e in error_of(early)["errors"]} == {"not_scanned"}
    # ...the source can no longer scan it, and a unit of another product counts nothing
    assert (await _post(api, url, {"barcode": TEE}, "opera")).status_code == 404
    wrong = await _post(api, url, {"barcode": JEAN}, "bastille")
    assert (wrong.status_code, error_of(wrong)["code"]) == (422, "wrong_item")
    for barcode in (TEE, TEE, MUG):
        scanned = await _post(api, url, {"barcode": barcode}, "bastille")
        assert scanned.status_code == 200, scanned.text
    assert scanned.json()["step"] == "receive"

    # Then, every unit scanned, it is received and ready for collection at the store
    received = await _post(api, f"/fulfilments/{fid}/receive", None, "bastille")
    assert received.status_code == 200, received.text
    await api.until_fulfilment(
        body["id"], "READY_FOR_COLLECTION", location_id="ST-BASTILLE", role="bastille"
    )


async def test_a_collection_posted_again_once_it_holds_the_stores_last_units_is_answered_as_placed(
    api: Api,
) -> None:
    # Given the Opéra store holds exactly the cart, and the order took it
    with api.db.session() as s:
        for sku, qty in (("SKU-TEE", 2), ("SKU-MUG", 1)):
            position = s.get(InventoryPosition, (sku, "ST-OPERA"))
            assert position is not None
            position.on_hand = qty
            s.add(position)
    body = collect_body()
    await api.awaiting_pick(body)

    # When the storefront posts it again
    again = await api.http.post("/orders", json=body, headers=api.auth("storefront"))

    # Then it is the same order, not a refusal for want of the stock it holds itself
    assert again.status_code == 200, again.text
    assert again.json()["order_id"] == body["id"]
