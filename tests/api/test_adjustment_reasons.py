"""Inventory adjustments with a reason code (`POST /inventory/deltas`, a row's `reason`): the
code must be one for adjustments, and its stock effect, as an admin set it, says what the
delta does: moved off on hand, set apart in quarantine, or left for a recount."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from oms.db.tables import InventoryPosition, ManualTask
from tests.api.conftest import Api, Json


async def _code(api: Api, code: str, stock_effect: str) -> None:
    body = {"label": code, "usages": ["adjustment"], "stock_effect": stock_effect}
    response = await api.http.put(f"/reason-codes/{code}", json=body, headers=api.auth("admin"))
    assert response.status_code == 201, response.text


async def _deltas(api: Api, *rows: dict[str, Any]) -> Json:
    response = await api.http.post(
        "/inventory/deltas", json={"deltas": list(rows)}, headers=api.auth("integration")
    )
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def _tee(event_id: str, delta: int, reason: str | None) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "sku": "SKU-TEE",
        "location_id": "ST-OPERA",
        "delta": delta,
        "reason": reason,
    }


def _tee_at_opera(api: Api) -> tuple[int, int]:
    with api.db.reading() as s:
        p = s.get(InventoryPosition, ("SKU-TEE", "ST-OPERA"))
        assert p is not None
        return p.on_hand, p.quarantined


async def test_a_quarantine_adjustment_sets_the_units_apart_once(api: Api) -> None:
    await _code(api, "suspect_batch", "quarantine")

    results = [await _deltas(api, _tee("wms-1", -3, "suspect_batch")) for _ in range(2)]

    assert [(r["applied"], r["duplicates"]) for r in results] == [(1, 0), (0, 1)]
    # 100 on hand: three set apart, no longer sold
    assert _tee_at_opera(api) == (97, 3)


async def test_a_write_off_takes_units_off_and_a_none_code_moves_them_as_sent(api: Api) -> None:
    result = await _deltas(api, _tee("wms-2", -2, "damaged"), _tee("wms-3", 5, "found"))

    assert result["applied"] == 2
    assert _tee_at_opera(api) == (103, 0)


async def test_a_recount_adjustment_leaves_the_figures_and_opens_a_recount_task(api: Api) -> None:
    await _code(api, "looks_wrong", "recount")

    result = await _deltas(api, _tee("wms-4", -4, "looks_wrong"))

    assert result["applied"] == 1
    assert _tee_at_opera(api) == (100, 0)
    with api.db.reading() as s:
        [recount] = s.exec(select(ManualTask).where(ManualTask.kind == "recount")).all()
        assert recount.location_id == "ST-OPERA"
        assert recount.payload["sku"] == "SKU-TEE"
        assert (recount.payload["units"], recount.payload["reason"]) == (4, "looks_wrong")


async def test_a_code_not_for_adjustments_or_a_delta_its_effect_cannot_take_is_refused(
    api: Api,
) -> None:
    await _code(api, "suspect_batch", "quarantine")

    result = await _deltas(
        api,
        _tee("wms-5", -1, "customer_request"),  # a cancellation's code
        _tee("wms-6", 2, "suspect_batch"),  # a quarantine adds nothing
        _tee("wms-7", -1, "no_such_code"),
        _tee("wms-8", -1, None),
    )

    assert (result["applied"], result["rejected"]) == (1, 3)
    assert [(e["index"], e["field"], e["code"]) for e in result["errors"]] == [
        (0, "reason", "reason_not_allowed"),
        (1, "delta", "out_of_range"),
        (2, "reason", "reason_not_allowed"),
    ]
    assert _tee_at_opera(api) == (99, 0)
