"""What a store works on: one list of its open work, soonest due first, paged, and only its
own location's for a store key."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.read_model import ReadModelActivities
from oms.contracts.fulfilment import SaveFulfilment
from oms.db.tables import utcnow
from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment import FulfilmentLine, FulfilmentStatus, FulfilmentView
from oms.domain.fulfilment_profiles import Service, StepType
from oms.domain.fulfilment_steps import StepState, StepStatus
from oms.keys import vas_task_id
from tests.api.conftest import Api, Json, error_of

DONE, ACTIVE, PENDING = StepStatus.DONE, StepStatus.ACTIVE, StepStatus.PENDING


def step(type_: StepType, status: StepStatus, due: datetime | None = None) -> StepState:
    return StepState(key=type_.value, type=type_, status=status, due_at=due)


def save(
    api: Api,
    fid: str,
    status: FulfilmentStatus,
    steps: list[StepState],
    *,
    pick_due: datetime | None = None,
    location_id: str = "ST-OPERA",
    method: DeliveryMethod = DeliveryMethod.SHIP,
    services: list[Service] | None = None,
) -> None:
    """The row as a fulfilment run writes it (its pick task and service tasks with it)."""
    view = FulfilmentView(
        fulfilment_id=fid,
        order_id=fid.split(".")[0],
        location_id=location_id,
        status=status,
        delivery_method=method,
        lines=[FulfilmentLine(line_id="1", sku="SKU-TEE", quantity=1, services=services or [])],
        profile="test@1" if steps else None,
        steps=steps,
    )
    request = SaveFulfilment(view=view, workflow_id=f"fulfilment-{fid}", pick_due_at=pick_due)
    ActivityEnvironment().run(ReadModelActivities(api.db).save_fulfilment, request)


async def work(api: Api, query: str = "", role: str = "opera") -> Json:
    response = await api.http.get(f"/locations/ST-OPERA/work{query}", headers=api.auth(role))
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def summary(items: list[Json]) -> list[tuple[Any, ...]]:
    return [(i["kind"], i["id"], i["step"], i["step_type"], i["overdue"]) for i in items]


async def a_store_at_work(api: Api) -> tuple[datetime, str]:
    """The Opéra store with one of each kind of work, and a wave of its two most urgent picks."""
    now = utcnow()
    pick, vas, pack = StepType.PICK, StepType.VAS, StepType.PACK
    soon = now + timedelta(hours=1)  # a pick's due time is its row's too: waves sort by it
    save(api, "A.F1", FulfilmentStatus.AWAITING_PICK, [step(pick, ACTIVE, soon)], pick_due=soon)
    save(api, "B.F1", FulfilmentStatus.AWAITING_PICK, [step(pick, ACTIVE, soon)], pick_due=soon)
    # Started before profiles: its status says what is left, its pick task when it is due.
    save(api, "C.F1", FulfilmentStatus.AWAITING_PICK, [], pick_due=now + timedelta(hours=3))
    save(
        api,
        "D.F1",
        FulfilmentStatus.PICKED,
        [step(pick, DONE), step(vas, ACTIVE, now + timedelta(hours=2)), step(pack, PENDING)],
        services=[Service.GIFT_WRAP],
    )
    handover = [step(pick, DONE), step(pack, DONE), step(StepType.HANDOVER, ACTIVE)]
    save(api, "E.F1", FulfilmentStatus.PACKED, handover)
    save(
        api,
        "F.F1",
        FulfilmentStatus.READY_FOR_COLLECTION,
        [
            step(pick, DONE),
            step(StepType.READY_FOR_COLLECTION, DONE),
            step(StepType.COLLECTED, ACTIVE),
        ],
        method=DeliveryMethod.COLLECT,
    )
    save(
        api,
        "G.F1",
        FulfilmentStatus.PICKED,
        [step(pick, DONE), step(pack, ACTIVE, now - timedelta(minutes=10))],
    )
    save(api, "H.F1", FulfilmentStatus.SHIPPED, [step(pick, DONE), step(pack, DONE)])
    save(
        api, "I.F1", FulfilmentStatus.AWAITING_PICK, [step(pick, ACTIVE)], location_id="ST-BASTILLE"
    )
    built = await api.http.post(
        "/locations/ST-OPERA/pick-waves",
        json={"strategy": "per_order", "max_fulfilments": 2},
        headers=api.auth("opera"),
    )
    assert built.status_code == 201, built.text
    assert sorted(built.json()["fulfilment_ids"]) == ["A.F1", "B.F1"]
    return now, built.json()["id"]


async def test_a_store_sees_its_open_work_soonest_due_first_with_the_step_each_is_at(
    api: Api,
) -> None:
    now, wave_id = await a_store_at_work(api)

    body = await work(api)

    assert body["location_id"] == "ST-OPERA"
    assert summary(body["items"]) == [
        ("fulfilment_to_pack", "G.F1", "pack", "pack", True),
        ("wave_to_pick", wave_id, None, "pick", False),
        ("service_to_do", vas_task_id("D.F1", "1", "gift_wrap"), "vas", "vas", False),
        ("fulfilment_to_pick", "C.F1", None, "pick", False),
        # No due time: last, by id.
        ("parcel_to_hand_over", "E.F1", "handover", "handover", False),
        ("collection_waiting", "F.F1", "collected", "collected", False),
    ]
    wave, service, legacy = body["items"][1], body["items"][2], body["items"][3]
    assert (wave["wave_status"], wave["fulfilment_count"], wave["due_at"]) == (
        "open",
        2,
        (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
    )
    assert (service["fulfilment_id"], service["order_id"], service["service"]) == (
        "D.F1",
        "D",
        "gift_wrap",
    )
    assert (service["line_id"], service["sku"]) == ("1", "SKU-TEE")
    assert legacy["due_at"] is not None
    assert body["next_cursor"] is None


async def test_the_work_is_paged_with_a_cursor_and_filtered_by_kind(api: Api) -> None:
    await a_store_at_work(api)
    whole = [i["id"] for i in (await work(api))["items"]]

    seen: list[str] = []
    query = "?limit=2"
    while True:
        page = await work(api, query)
        assert len(page["items"]) <= 2
        seen += [i["id"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        query = f"?limit=2&cursor={page['next_cursor']}"

    assert seen == whole
    collections = await work(api, "?kind=collection_waiting")
    assert [i["id"] for i in collections["items"]] == ["F.F1"]
    waves = await work(api, "?kind=wave_to_pick")
    assert [i["kind"] for i in waves["items"]] == ["wave_to_pick"]
    services = await work(api, "?kind=service_to_do")
    assert [i["id"] for i in services["items"]] == [vas_task_id("D.F1", "1", "gift_wrap")]
    assert (await work(api, "?kind=transfer_to_receive"))["items"] == []


async def test_a_store_key_reads_its_own_location_analysts_and_admins_any(api: Api) -> None:
    await a_store_at_work(api)

    other = await api.http.get("/locations/ST-OPERA/work", headers=api.auth("bastille"))
    assert (other.status_code, error_of(other)["code"]) == (404, "location_not_found")
    for role in ("analyst", "admin"):
        assert len((await work(api, role=role))["items"]) == 6
    bastille = await api.http.get("/locations/ST-BASTILLE/work", headers=api.auth("bastille"))
    assert [i["id"] for i in bastille.json()["items"]] == ["I.F1"]
    shop = await api.http.get("/locations/ST-OPERA/work", headers=api.auth("storefront"))
    assert shop.status_code == 403
    unknown = await api.http.get("/locations/NOWHERE/work", headers=api.auth("admin"))
    assert (unknown.status_code, error_of(unknown)["code"]) == (404, "location_not_found")
    bad = await api.http.get("/locations/ST-OPERA/work?cursor=zzz", headers=api.auth("opera"))
    assert (bad.status_code, error_of(bad)["code"]) == (422, "invalid_cursor")
