"""The task desk: claim (one holder), release, the queue's filters (assignee, overdue) and
the staff alert `task.escalated`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from oms.db import api_keys
from oms.db import tasks as task_repo
from oms.db.tables import ManualTask, OutboxEvent
from tests.api.conftest import Api, Json, error_of, order_body, phone_body


async def _review(api: Api) -> str:
    body = phone_body()
    await api.place(body)
    await api.until(body["id"], lambda v: v["status"] == "AWAITING_REVIEW")
    return f"fraud-review-{body['id']}"


def _second_analyst(api: Api) -> dict[str, str]:
    with api.db.session() as s:
        secret = api_keys.create_key(s, role="analyst", name="second-analyst")
    return {"Authorization": f"Bearer {secret}"}


async def _post(api: Api, url: str, headers: dict[str, str], json: Any = None) -> Any:
    return await api.http.post(url, json=json, headers=headers)


async def _queue(api: Api, **params: Any) -> list[Json]:
    response = await api.http.get("/tasks", params=params, headers=api.auth("analyst"))
    assert response.status_code == 200, response.text
    items: list[Json] = response.json()["items"]
    return items


async def test_a_claimed_task_has_one_holder_and_a_second_claim_is_409(api: Api) -> None:
    task_id = await _review(api)
    other = _second_analyst(api)

    first = await _post(api, f"/tasks/{task_id}/claim", api.auth("analyst"))
    again = await _post(api, f"/tasks/{task_id}/claim", api.auth("analyst"))
    second = await _post(api, f"/tasks/{task_id}/claim", other)

    assert first.status_code == 200, first.text
    assert first.json()["assignee"] == "analyst:test-analyst"
    assert first.json()["claimed_at"] is not None
    # Claiming again what one holds is a retried request, not a conflict.
    assert again.status_code == 200, again.text
    assert second.status_code == 409, second.text
    assert (error_of(second)["code"], error_of(second)["field"]) == ("task_claimed", "task_id")
    (task,) = await _queue(api, kind="fraud_review")
    assert task["assignee"] == "analyst:test-analyst"


async def test_only_the_holder_decides_a_claimed_task(api: Api) -> None:
    task_id = await _review(api)
    other = _second_analyst(api)
    await _post(api, f"/tasks/{task_id}/claim", api.auth("analyst"))
    decision = {"decision": "approve", "reason": "known customer"}

    refused = await _post(api, f"/tasks/{task_id}/complete", other, decision)
    done = await _post(api, f"/tasks/{task_id}/complete", api.auth("analyst"), decision)

    assert refused.status_code == 409, refused.text
    assert error_of(refused)["code"] == "task_claimed"
    assert done.status_code == 200, done.text
    assert done.json()["completed_by"] == "analyst:test-analyst"
    order_id = task_id.removeprefix("fraud-review-")
    await api.until(order_id, lambda v: v["status"] == "IN_FULFILMENT")


async def test_a_released_task_goes_back_to_the_queue_for_anyone(api: Api) -> None:
    task_id = await _review(api)
    other = _second_analyst(api)
    await _post(api, f"/tasks/{task_id}/claim", api.auth("analyst"))

    not_theirs = await _post(api, f"/tasks/{task_id}/release", other)
    released = await _post(api, f"/tasks/{task_id}/release", api.auth("analyst"))
    taken = await _post(api, f"/tasks/{task_id}/claim", other)

    assert not_theirs.status_code == 409, not_theirs.text
    assert released.status_code == 200, released.text
    assert (released.json()["assignee"], released.json()["claimed_at"]) == (None, None)
    assert taken.status_code == 200, taken.text
    assert taken.json()["assignee"] == "analyst:second-analyst"


async def test_an_admin_releases_a_task_someone_else_holds(api: Api) -> None:
    task_id = await _review(api)
    await _post(api, f"/tasks/{task_id}/claim", api.auth("analyst"))

    released = await _post(api, f"/tasks/{task_id}/release", api.auth("admin"))

    assert released.status_code == 200, released.text
    assert released.json()["assignee"] is None


async def test_a_task_is_read_by_its_id_and_an_unknown_one_is_404(api: Api) -> None:
    task_id = await _review(api)
    analyst = api.auth("analyst")
    await _post(api, f"/tasks/{task_id}/claim", analyst)

    read = await api.http.get(f"/tasks/{task_id}", headers=analyst)
    unknown = await api.http.get("/tasks/no-such-task", headers=analyst)

    assert read.status_code == 200, read.text
    assert (read.json()["kind"], read.json()["status"]) == ("fraud_review", "open")
    assert read.json()["assignee"] == "analyst:test-analyst"
    assert read.json()["payload"]["score"] == 45
    assert unknown.status_code == 404
    assert error_of(unknown)["code"] == "task_not_found"


async def test_claiming_an_unknown_or_decided_task_is_refused(api: Api) -> None:
    task_id = await _review(api)
    decided = await _post(
        api,
        f"/tasks/{task_id}/complete",
        api.auth("analyst"),
        {"decision": "approve", "reason": "ok"},
    )
    assert decided.status_code == 200, decided.text

    unknown = await _post(api, "/tasks/fraud-review-NOPE/claim", api.auth("analyst"))
    closed = await _post(api, f"/tasks/{task_id}/claim", api.auth("analyst"))

    assert (unknown.status_code, error_of(unknown)["code"]) == (404, "task_not_found")
    assert (closed.status_code, error_of(closed)["code"]) == (409, "task_not_open")


async def test_the_queue_filters_by_holder_and_by_overdue(api: Api) -> None:
    review = await _review(api)
    shipped = order_body()
    await api.awaiting_pick(shipped)
    (pick,) = await _queue(api, kind="pick")
    await _post(api, f"/tasks/{review}/claim", api.auth("analyst"))
    # The pick's due time passes (as if the store were late).
    with api.db.session() as s:
        row = s.get(ManualTask, pick["id"])
        assert row is not None
        row.due_at = datetime.now(UTC) - timedelta(minutes=5)
        s.add(row)

    mine = await _queue(api, assignee="me")
    by_name = await _queue(api, assignee="analyst:test-analyst")
    unclaimed = await _queue(api, assignee="none")
    overdue = await _queue(api, overdue="true")

    assert [t["id"] for t in mine] == [review]
    assert [t["id"] for t in by_name] == [review]
    assert [t["id"] for t in unclaimed] == [pick["id"]]
    assert [(t["id"], t["overdue"]) for t in overdue] == [(pick["id"], True)]
    everything = {t["id"]: t["overdue"] for t in await _queue(api)}
    assert everything == {pick["id"]: True, review: False}


async def test_the_queue_puts_escalated_first_then_soonest_due(api: Api) -> None:
    first, second, third = [await _review(api) for _ in range(3)]
    now = datetime.now(UTC)
    with api.db.session() as s:
        for task_id, due in ((first, now + timedelta(hours=3)), (second, now + timedelta(hours=1))):
            row = s.get(ManualTask, task_id)
            assert row is not None
            row.due_at = due
            s.add(row)
        task_repo.escalate(s, third)

    order = [t["id"] for t in await _queue(api, kind="fraud_review")]

    assert order[0] == third
    assert order[1:] == [second, first]


async def test_an_escalation_alerts_staff_once_with_a_task_escalated_event(api: Api) -> None:
    task_id = await _review(api)

    with api.db.session() as s:
        assert task_repo.escalate(s, task_id) is True
        # The fulfilment's read model repeats it on every save: still one alert.
        assert task_repo.escalate(s, task_id) is False

    with api.db.session() as s:
        events = list(s.exec(select(OutboxEvent).where(OutboxEvent.type == "task.escalated")))
    assert len(events) == 1
    (event,) = events
    assert event.order_id == task_id.removeprefix("fraud-review-")
    assert event.payload["task_id"] == task_id
    assert event.payload["kind"] == "fraud_review"
    assert event.payload["due_at"] is not None
    (task,) = await _queue(api, kind="fraud_review")
    assert task["escalated"] is True


async def test_bad_desk_filters_are_refused_with_the_parameter_at_fault(api: Api) -> None:
    response = await api.http.get(
        "/tasks", params={"overdue": "sometimes"}, headers=api.auth("analyst")
    )

    assert response.status_code == 422, response.text
    assert error_of(response)["field"] == "overdue"


async def test_customer_service_retries_a_refused_capture_and_the_order_completes(
    api: Api,
) -> None:
    api.harness.payments.refuse_captures(1)
    body = order_body()
    fulfilment = await api.awaiting_pick(body)
    url = f"/fulfilments/{fulfilment['id']}"
    picked = await api.http.post(
        f"{url}/pick",
        json={
            "lines": [
                {"line_id": li["line_id"], "picked": li["quantity"]} for li in fulfilment["lines"]
            ]
        },
        headers=api.auth("opera"),
    )
    assert picked.status_code == 200, picked.text
    packed = await api.http.post(
        f"{url}/pack", json={"parcels": [{"weight_grams": 900}]}, headers=api.auth("opera")
    )
    assert packed.status_code == 200, packed.text
    waiting = await api.until(body["id"], lambda v: bool(v["payment"]["exceptions"]))
    assert waiting["status"] == "IN_FULFILMENT"
    (exc,) = await _queue(api, kind="payment_exception")
    refused = await _post(
        api, f"/tasks/{exc['id']}/complete", api.auth("analyst"), {"action": "pay", "reason": "x"}
    )

    done = await _post(
        api,
        f"/tasks/{exc['id']}/complete",
        api.auth("analyst"),
        {"action": "retry", "reason": "the bank lifted the block"},
    )

    assert (refused.status_code, error_of(refused)["field"]) == (422, "action")
    assert done.status_code == 200, done.text
    assert done.json()["outcome"] == {"action": "retry", "reason": "the bank lifted the block"}
    order = await api.until(body["id"], lambda v: v["status"] == "COMPLETED")
    assert order["payment"]["captured"] == order["total"]
    assert order["payment"]["exceptions"] == []
