"""GET /tasks and POST /tasks/{id}/complete: the fraud analysts' queue."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, Json, error_of, order_body, phone_body


async def _in_review(api: Api) -> Json:
    body = phone_body()
    await api.place(body)
    await api.until(body["id"], lambda v: v["status"] == "AWAITING_REVIEW")
    return body


async def _tasks(api: Api, **params: Any) -> list[Json]:
    response = await api.http.get("/tasks", params=params, headers=api.auth("analyst"))
    assert response.status_code == 200, response.text
    items: list[Json] = response.json()["items"]
    return items


async def test_an_order_that_scored_review_shows_up_as_an_open_fraud_review_task(
    api: Api,
) -> None:
    body = await _in_review(api)

    tasks = await _tasks(api)

    assert len(tasks) == 1
    task = tasks[0]
    assert task["id"] == f"fraud-review-{body['id']}"
    assert (task["kind"], task["status"], task["order_id"]) == ("fraud_review", "open", body["id"])
    assert task["location_id"] is None
    assert task["escalated"] is False
    assert task["due_at"] is not None
    assert task["payload"]["score"] == 45
    assert task["payload"]["total"] == 89900
    assert {r["code"] for r in task["payload"]["reasons"]} == {
        "new_customer",
        "no_order_history",
        "risky_category",
    }
    assert (task["outcome"], task["completed_by"], task["completed_at"]) == (None, None, None)


async def test_tasks_are_filtered_by_kind_status_and_location(api: Api) -> None:
    review = await _in_review(api)
    shipped = order_body()
    fulfilment = await api.awaiting_pick(shipped)

    reviews = await _tasks(api, kind="fraud_review")
    picks = await _tasks(api, kind="pick")
    at_opera = await _tasks(api, location_id="ST-OPERA")
    at_bastille = await _tasks(api, location_id="ST-BASTILLE")
    open_ = await _tasks(api, status="open")
    completed = await _tasks(api, status="completed")
    open_reviews = await _tasks(api, kind="fraud_review", status="open")

    assert [t["order_id"] for t in reviews] == [review["id"]]
    assert [(t["order_id"], t["location_id"]) for t in picks] == [(shipped["id"], "ST-OPERA")]
    assert picks[0]["payload"]["fulfilment_id"] == fulfilment["id"]
    assert [t["kind"] for t in at_opera] == ["pick"]
    assert at_bastille == []
    assert sorted(t["kind"] for t in open_) == ["fraud_review", "pick"]
    assert completed == []
    assert [t["id"] for t in open_reviews] == [f"fraud-review-{review['id']}"]
    # Every kind of task the desk holds can be asked for, payment exceptions included.
    assert await _tasks(api, kind="payment_exception") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"kind": "laundry"}, "kind"), ({"status": "done"}, "status"), ({"limit": 0}, "limit")],
)
async def test_bad_task_filters_are_refused_with_the_parameter_at_fault(
    api: Api, params: dict[str, Any], field: str
) -> None:
    response = await api.http.get("/tasks", params=params, headers=api.auth("analyst"))

    assert response.status_code == 422, response.text
    assert error_of(response)["field"] == field


async def test_approving_a_review_completes_the_task_and_lets_the_order_through(
    api: Api,
) -> None:
    body = await _in_review(api)
    task_id = f"fraud-review-{body['id']}"

    response = await api.http.post(
        f"/tasks/{task_id}/complete",
        json={"decision": "approve", "reason": "known customer"},
        headers=api.auth("analyst"),
    )

    assert response.status_code == 200, response.text
    task = response.json()
    assert (task["id"], task["status"]) == (task_id, "completed")
    assert task["outcome"] == {"decision": "approve", "reason": "known customer"}
    assert task["completed_by"] == "analyst:test-analyst"
    assert task["completed_at"] is not None
    view = await api.until(body["id"], lambda v: v["status"] == "IN_FULFILMENT")
    assert view["fraud"]["review_decision"] == "approve"
    assert view["fraud"]["reviewed_by"] == "analyst:test-analyst"
    assert view["fraud"]["review_reason"] == "known customer"
    assert await _tasks(api, kind="fraud_review", status="open") == []
    await api.until_fulfilment(body["id"], "AWAITING_PICK")


async def test_rejecting_a_review_cancels_the_order_for_fraud(api: Api) -> None:
    body = await _in_review(api)

    response = await api.http.post(
        f"/tasks/fraud-review-{body['id']}/complete",
        json={"decision": "reject", "reason": "stolen card"},
        headers=api.auth("analyst"),
    )

    assert response.status_code == 200, response.text
    assert response.json()["outcome"]["decision"] == "reject"
    view = await api.until(body["id"], lambda v: v["status"] == "CANCELLED")
    assert view["cancel_reason"] == "fraud_rejected"
    assert view["fraud"]["review_decision"] == "reject"
    assert view["payment"]["state"] == "none"
    # The decided task stays completed; closing the order does not overwrite it.
    (task,) = await _tasks(api, kind="fraud_review")
    assert task["status"] == "completed"


async def test_completing_a_task_twice_is_refused_the_second_time(api: Api) -> None:
    body = await _in_review(api)
    url = f"/tasks/fraud-review-{body['id']}/complete"
    first = await api.http.post(
        url, json={"decision": "approve", "reason": "ok"}, headers=api.auth("analyst")
    )
    assert first.status_code == 200, first.text

    second = await api.http.post(
        url, json={"decision": "reject", "reason": "second thoughts"}, headers=api.auth("analyst")
    )

    assert second.status_code == 409, second.text
    error = error_of(second)
    assert (error["code"], error["field"]) == ("task_not_open", "task_id")
    # The first decision stands.
    (task,) = await _tasks(api, kind="fraud_review")
    assert task["outcome"]["decision"] == "approve"
    view = await api.until(body["id"], lambda v: v["status"] == "IN_FULFILMENT")
    assert view["fraud"]["review_decision"] == "approve"


async def test_completing_an_unknown_task_is_404(api: Api) -> None:
    response = await api.http.post(
        "/tasks/fraud-review-NOPE/complete",
        json={"decision": "approve", "reason": "ok"},
        headers=api.auth("analyst"),
    )

    assert response.status_code == 404, response.text
    error = error_of(response)
    assert (error["code"], error["field"]) == ("task_not_found", "task_id")


async def test_a_pick_task_cannot_be_completed_as_a_review(api: Api) -> None:
    body = order_body()
    await api.awaiting_pick(body)
    (pick,) = await _tasks(api, kind="pick")

    response = await api.http.post(
        f"/tasks/{pick['id']}/complete",
        json={"decision": "approve", "reason": "ok"},
        headers=api.auth("analyst"),
    )

    assert response.status_code == 409, response.text
    error = error_of(response)
    assert (error["code"], error["field"]) == ("task_not_completable", "task_id")
    (still,) = await _tasks(api, kind="pick")
    assert still["status"] == "open"


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"decision": "maybe", "reason": "unsure"}, "decision", "invalid"),
        ({"decision": "approve"}, "reason", "required"),
        ({"decision": "approve", "reason": ""}, "reason", "out_of_range"),
        ({"decision": "approve", "reason": "ok", "score": 1}, "score", "unknown_field"),
    ],
)
async def test_an_invalid_decision_is_refused_and_the_task_stays_open(
    api: Api, payload: Json, field: str, code: str
) -> None:
    body = await _in_review(api)

    response = await api.http.post(
        f"/tasks/fraud-review-{body['id']}/complete", json=payload, headers=api.auth("analyst")
    )

    assert response.status_code == 422, response.text
    error = error_of(response)
    assert (error["field"], error["code"]) == (field, code)
    (task,) = await _tasks(api, kind="fraud_review")
    assert task["status"] == "open"


async def test_the_review_of_an_order_the_customer_cancelled_can_no_longer_be_decided(
    api: Api,
) -> None:
    body = await _in_review(api)
    cancelled = await api.http.post(f"/orders/{body['id']}/cancel", headers=api.auth("storefront"))
    assert cancelled.status_code == 200, cancelled.text
    await api.until(body["id"], lambda v: v["status"] == "CANCELLED")

    response = await api.http.post(
        f"/tasks/fraud-review-{body['id']}/complete",
        json={"decision": "approve", "reason": "too late"},
        headers=api.auth("analyst"),
    )

    assert response.status_code == 409, response.text
    assert error_of(response)["code"] == "task_not_open"
    (task,) = await _tasks(api, kind="fraud_review")
    assert task["status"] == "cancelled"
    view = await api.until(body["id"], lambda v: v["status"] == "CANCELLED")
    assert view["cancel_reason"] == "customer_request"
