"""`oms simulate` rides out a moment of 503s and 429s as a real storefront should: it waits as
told (Retry-After) or a doubling pause, sends the same request again, and gives up after a
bounded number of tries, answering the last refusal."""

from __future__ import annotations

import httpx

from oms.simulate import PatientTransport


def scripted(statuses: list[tuple[int, dict[str, str]]]) -> tuple[httpx.MockTransport, list[bytes]]:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        status, headers = statuses[min(len(bodies), len(statuses)) - 1]
        return httpx.Response(status, headers=headers, json={"code": str(status)})

    return httpx.MockTransport(handler), bodies


def test_a_request_refused_for_a_moment_is_sent_again_after_the_pause_asked() -> None:
    inner, bodies = scripted(
        [(503, {"Retry-After": "5"}), (429, {"Retry-After": "1"}), (503, {}), (201, {})]
    )
    pauses: list[float] = []
    with httpx.Client(
        base_url="http://oms", transport=PatientTransport(inner, sleep=pauses.append)
    ) as http:
        answer = http.post("/orders", json={"id": "O-1"})

    assert answer.status_code == 201
    assert pauses == [5.0, 1.0, 2.0]  # as told, as told, then the third try's own pause
    assert len(bodies) == 4
    assert len(set(bodies)) == 1  # the same order each time


def test_it_gives_up_after_its_tries_and_answers_the_last_refusal() -> None:
    inner, bodies = scripted([(503, {})])
    pauses: list[float] = []
    with httpx.Client(
        base_url="http://oms",
        transport=PatientTransport(inner, attempts=4, sleep=pauses.append),
    ) as http:
        answer = http.get("/orders/O-1")

    assert answer.status_code == 503
    assert len(bodies) == 4
    assert pauses == [0.5, 1.0, 2.0]


def test_a_refusal_that_retrying_cannot_mend_is_answered_at_once() -> None:
    inner, bodies = scripted([(422, {})])
    with httpx.Client(
        base_url="http://oms", transport=PatientTransport(inner, sleep=lambda _: None)
    ) as http:
        assert http.post("/orders", json={}).status_code == 422
    assert len(bodies) == 1
