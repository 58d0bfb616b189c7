"""A short pick's effects come from its reason code as an admin set it, not from the code base:
the same report writes stock off, quarantines it, asks for a recount, re-routes the units or
cancels them, depending on what the code says."""

from __future__ import annotations

from sqlmodel import select

from oms.db.tables import InventoryPosition
from tests.api.conftest import Api, Json, order_body

PARCELS = {"parcels": [{"weight_grams": 900, "reference": "BOX-1"}]}


async def _set(api: Api, code: str, **effects: str) -> None:
    stored = (await api.http.get(f"/reason-codes/{code}", headers=api.auth("admin"))).json()
    body = {k: stored[k] for k in ("label", "usages", "stock_effect", "routing_effect")}
    response = await api.http.put(
        f"/reason-codes/{code}", json={**body, **effects}, headers=api.auth("admin")
    )
    assert response.status_code in (200, 201), response.text


async def _short_pick_one_tee(api: Api, reason: str) -> tuple[Json, Json]:
    """Two tees and a mug ordered; the Opéra store finds one tee, for ``reason``."""
    body = order_body()
    fulfilment = await api.awaiting_pick(body)
    response = await api.http.post(
        f"/fulfilments/{fulfilment['id']}/pick",
        json={
            "lines": [
                {"line_id": "1", "picked": 1, "short_reason": reason},
                {"line_id": "2", "picked": 1},
            ]
        },
        headers=api.auth("opera"),
    )
    assert response.status_code == 200, response.text
    await api.until_fulfilment(body["id"], "PICKED")
    return body, fulfilment


def _tee_at_opera(api: Api) -> tuple[int, int, int]:
    with api.db.reading() as s:
        p = s.exec(
            select(InventoryPosition).where(
                InventoryPosition.sku == "SKU-TEE", InventoryPosition.location_id == "ST-OPERA"
            )
        ).one()
        return p.on_hand, p.quarantined, p.reserved


async def test_a_code_changed_to_quarantine_sets_the_unit_apart_instead_of_writing_it_off(
    api: Api,
) -> None:
    await _set(api, "damaged", stock_effect="quarantine")

    await _short_pick_one_tee(api, "damaged")

    # 100 on hand: one tee picked (still on hand until it ships), one set apart.
    assert _tee_at_opera(api) == (99, 1, 1)
    # The reads show it apart, never as available: 99 on hand - 1 reserved.
    inventory = (await api.http.get("/inventory/SKU-TEE", headers=api.auth("analyst"))).json()
    opera = next(p for p in inventory["locations"] if p["location_id"] == "ST-OPERA")
    assert (opera["on_hand"], opera["quarantined"], opera["atp"]) == (99, 1, 98)
    assert inventory["quarantined"] == 1
    assert "1 quarantined, not counted" in opera["explanation"]


async def test_a_code_changed_to_recount_leaves_stock_alone_and_opens_a_recount_task(
    api: Api,
) -> None:
    await _set(api, "not_found", stock_effect="recount")

    body, _ = await _short_pick_one_tee(api, "not_found")

    assert _tee_at_opera(api) == (100, 0, 1)
    listed = await api.http.get("/tasks?kind=recount", headers=api.auth("analyst"))
    tasks = [t for t in listed.json()["items"] if t["order_id"] == body["id"]]
    assert [(t["status"], t["location_id"], t["payload"]) for t in tasks] == [
        ("open", "ST-OPERA", {"sku": "SKU-TEE", "units": 1, "reason": "not_found"})
    ]
    # Done by counting, not by deciding it like a fraud review
    decided = await api.http.post(
        f"/tasks/{tasks[0]['id']}/complete",
        json={"decision": "approve", "reason": "counted"},
        headers=api.auth("analyst"),
    )
    assert decided.status_code == 409, decided.text
    assert "stock update" in decided.json()["reason"]


async def test_a_code_whose_routing_is_cancel_units_cancels_the_short_units_instead_of_re_sourcing(
    api: Api,
) -> None:
    # Given a warehouse that has the tee: a re-routed unit would be sent from there
    with api.db.session() as s:
        s.add(InventoryPosition(sku="SKU-TEE", location_id="WH-PARIS", on_hand=10))
    await _set(api, "wrong_item", routing_effect="cancel_units")

    body, fulfilment = await _short_pick_one_tee(api, "wrong_item")
    packed = await api.http.post(
        f"/fulfilments/{fulfilment['id']}/pack", json=PARCELS, headers=api.auth("opera")
    )
    assert packed.status_code == 200, packed.text

    order = await api.until(body["id"], lambda v: v["status"] == "COMPLETED")
    tee = next(line for line in order["lines"] if line["line_id"] == "1")
    assert (tee["shipped"], tee["cancelled"], tee["cancel_reason"]) == (1, 1, "short_pick")
    assert [f["location_id"] for f in order["fulfilments"]] == ["ST-OPERA"]
    assert order["payment"]["captured"] == 1999 + 899  # the cancelled tee is not charged
    with api.db.reading() as s:
        paris = s.get(InventoryPosition, ("SKU-TEE", "WH-PARIS"))
        assert paris is not None
        assert (paris.on_hand, paris.reserved) == (10, 0)


async def test_a_short_pick_still_re_routes_by_default(api: Api) -> None:
    with api.db.session() as s:
        s.add(InventoryPosition(sku="SKU-TEE", location_id="WH-PARIS", on_hand=10))

    body, _ = await _short_pick_one_tee(api, "wrong_item")

    order = await api.until(body["id"], lambda v: len(v["fulfilments"]) == 2)
    assert [f["location_id"] for f in order["fulfilments"]] == ["ST-OPERA", "WH-PARIS"]
    assert _tee_at_opera(api)[:2] == (100, 0)  # a wrong item leaves stock as it is
