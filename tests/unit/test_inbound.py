"""Webhooks in, as rules: a sender's kind, what a gateway's notice does to a ledger row, a
till's stock moves, and the keys a finance event reads its ids from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from oms.domain.inbound import (
    NoticeOutcome,
    PaymentNotice,
    PosEvent,
    SenderKind,
    WmsEvent,
    kind_of_id,
    notice_outcome,
    pos_moves,
    sender_refusal,
)
from oms.gateway_keys import (
    capture_again_key,
    capture_fulfilment,
    capture_key,
    refund_key,
    refund_return,
    refunded_capture,
    return_refund_for,
)

AT = datetime(2026, 12, 8, tzinfo=UTC)


def notice(type_: str, **fields: Any) -> PaymentNotice:
    return PaymentNotice.model_validate(
        {"type": type_, "amount": 100, "currency": "EUR", "occurred_at": AT, **fields}
    )


def test_a_senders_id_names_its_kind_and_only_wms_and_pos_have_locations() -> None:
    assert kind_of_id("carrier:dhl") is SenderKind.CARRIER
    assert kind_of_id("payments:adyen") is SenderKind.PAYMENT_GATEWAY
    assert (kind_of_id("wms"), kind_of_id("pos:opera"), kind_of_id("acme")) == (
        SenderKind.WMS,
        SenderKind.POS,
        None,
    )
    assert sender_refusal("acme", SenderKind.WMS, ["WH-PARIS"]) is None
    assert sender_refusal("acme", None, []) is not None
    assert sender_refusal("carrier:dhl", SenderKind.POS, []) is not None
    assert sender_refusal("carrier:dhl", None, ["ST-OPERA"]) is not None


@pytest.mark.parametrize(
    ("recorded", "reversed_before", "type_", "outcome"),
    [
        (None, False, "capture.succeeded", NoticeOutcome.RECORDED),
        ("succeeded", False, "capture.succeeded", NoticeOutcome.CONFIRMED),
        ("succeeded", False, "capture.failed", NoticeOutcome.REVERSED),
        ("refused", True, "capture.failed", NoticeOutcome.CONFIRMED),
        ("refused", False, "refund.succeeded", NoticeOutcome.CONFLICT),
        ("refused", True, "refund.succeeded", NoticeOutcome.CONFIRMED),
        # A gateway that captures a reversed capture again on its own (Transaction Recaptured)
        ("refused", True, "capture.succeeded", NoticeOutcome.RECAPTURED),
        # ... and that fails it once more: left to people
        ("succeeded", True, "capture.failed", NoticeOutcome.CONFLICT),
    ],
)
def test_a_notice_confirms_records_reverses_or_leaves_a_conflict_to_people(
    recorded: str | None, reversed_before: bool, type_: str, outcome: NoticeOutcome
) -> None:
    assert notice_outcome(recorded, reversed_before, notice(type_, reference="r")) is outcome


def test_a_notice_names_its_operation_and_a_chargeback_its_id() -> None:
    with pytest.raises(ValidationError, match="idempotency_key or reference"):
        notice("capture.failed")
    with pytest.raises(ValidationError, match="chargeback_id"):
        notice("chargeback.opened", reference="cap")
    assert notice("refund.failed", idempotency_key="k").operation == "refund"


def test_a_wms_event_carries_what_its_type_needs() -> None:
    base = {"fulfilment_id": "O1.F1", "occurred_at": AT}
    with pytest.raises(ValidationError, match="carries lines"):
        WmsEvent.model_validate({**base, "type": "pick_confirmed"})
    with pytest.raises(ValidationError, match="carries tracking_number"):
        WmsEvent.model_validate({**base, "type": "shipped", "carrier": "dhl"})


def test_a_sale_takes_units_off_and_a_return_puts_them_back_or_apart() -> None:
    def event(type_: str, lines: list[dict[str, Any]]) -> PosEvent:
        return PosEvent.model_validate(
            {"type": type_, "location_id": "ST-OPERA", "occurred_at": AT, "lines": lines}
        )

    sale = event("sale", [{"sku": "TEE", "quantity": 2}])
    back = event(
        "return",
        [{"sku": "TEE", "quantity": 1}, {"sku": "TEE", "quantity": 3, "resellable": False}],
    )

    assert pos_moves(sale) == [("TEE", -2, 0)]
    assert pos_moves(back) == [("TEE", 1, 0), ("TEE", 0, 3)]
    with pytest.raises(ValidationError, match="resellable is for a return"):
        event("sale", [{"sku": "TEE", "quantity": 1, "resellable": False}])


def test_a_finance_event_reads_the_fulfilment_and_the_return_from_the_keys() -> None:
    first = capture_key("O.1", "O.1.F2")
    again = capture_key("O.1", capture_again_key("O.1.F2", "retry", 1))
    refund = refund_key("O.1", return_refund_for("O.1.R3", 0, "cap_9"))
    refund_again = refund_key("O.1", return_refund_for("O.1.R3", 2, "cap_9"))

    assert capture_fulfilment(first) == capture_fulfilment(again) == "O.1.F2"
    assert refund_return(refund) == refund_return(refund_again) == "O.1.R3"
    assert refunded_capture(refund_again) == "cap_9"
    assert (capture_fulfilment(refund), refund_return(first)) == (None, None)
