"""Which subscription takes which event, in which order, what a receiver gets and when a
failing delivery is tried again (oms.domain.webhooks_out), and a rotation's two signatures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from oms.domain.webhooks_out import envelope, matches, next_attempt, ordering_key, url_problem
from oms.webhooks import SignatureError, sign_all, verify

T0 = datetime(2026, 12, 7, 9, tzinfo=UTC)
THREE_DAYS = timedelta(days=3)


@pytest.mark.parametrize(
    ("patterns", "event_type", "taken"),
    [
        (["*"], "task.escalated", True),
        (["order.*"], "order.completed", True),
        (["order.*"], "payment.capture_failed.O1.F1", False),
        (["payment.*"], "payment.capture_failed.O1.F1", True),
        (["order.*"], "orders.completed", False),
        (["order.completed"], "order.completed", True),
        (["order.completed"], "order.cancelled", False),
        (["return.*", "fulfilment.collected"], "fulfilment.collected", True),
    ],
)
def test_a_subscription_takes_the_types_its_patterns_name(
    patterns: list[str], event_type: str, taken: bool
) -> None:
    assert matches(patterns, event_type) is taken


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://erp.example/hooks", False),
        ("http://127.0.0.1:8080/in", False),
        ("ftp://erp.example/hooks", True),
        ("erp.example/hooks", True),
        ("https://", True),
        ("https://me:secret@erp.example/", True),
    ],
)
def test_only_http_urls_with_a_host_and_no_credentials_receive_events(
    url: str, refused: bool
) -> None:
    assert (url_problem(url) is not None) is refused


def test_with_allowed_hosts_events_go_to_those_hosts_only() -> None:
    assert url_problem("http://127.0.0.1:9/in", ["127.0.0.1"]) is None
    assert url_problem("https://erp.example/in", ["127.0.0.1"]) is not None
    assert url_problem("https://erp.example/in", []) is None


def test_events_keep_their_order_per_order_then_per_sku_and_others_go_in_any_order() -> None:
    assert ordering_key("O1", {"sku": "SKU-1"}) == "order:O1"
    assert ordering_key(None, {"sku": "SKU-1", "channel_id": "web"}) == "sku:SKU-1"
    assert ordering_key(None, {"task_id": "T1"}) is None


def test_the_envelope_carries_the_id_type_version_time_and_payload() -> None:
    body = json.loads(envelope("e1", "order.completed", T0, {"order_id": "O1"}))

    assert body == {
        "id": "e1",
        "type": "order.completed",
        "version": "1",
        "created_at": "2026-12-07T09:00:00+00:00",
        "data": {"order_id": "O1"},
    }


def test_retries_double_from_a_minute_up_to_six_hours_apart() -> None:
    waits = []
    now = T0
    for attempts in range(1, 12):
        at = next_attempt(attempts, T0, now, THREE_DAYS)
        assert at is not None
        waits.append(at - now)
        now = at

    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == timedelta(hours=6)


def test_a_delivery_failing_for_three_days_is_dead() -> None:
    attempts, now = 1, T0
    while (at := next_attempt(attempts, T0, now, THREE_DAYS)) is not None:
        attempts, now = attempts + 1, at

    assert now <= T0 + THREE_DAYS
    assert now > T0 + THREE_DAYS - timedelta(hours=6)
    assert attempts > 10


def test_during_a_rotation_a_receiver_with_either_secret_accepts_the_request() -> None:
    body = b'{"id":"e1"}'
    header = sign_all(["new-secret", "old-secret"], body)

    assert header.count("v1=") == 2
    assert verify("new-secret", header, body) > 0
    assert verify("old-secret", header, body) > 0
    with pytest.raises(SignatureError, match="does not match"):
        verify("another-secret", header, body)
