"""Identifiers are built and read back in one place."""

from __future__ import annotations

import pytest

from oms.gateway_keys import (
    appeasement_refund_for,
    appeasement_refund_prefix,
    authorize_key,
    capture_again_key,
    capture_fulfilment,
    capture_key,
    payment_key_order_id,
    recovery_authorize_key,
    recovery_try,
    recovery_void_key,
    refund_appeasement,
    refund_key,
    refund_return,
    refunded_capture,
    return_refund_for,
    void_key,
)
from oms.keys import (
    INITIAL_STEP,
    StepKey,
    appeasement_event_id,
    appeasement_id,
    appeasement_seq,
    appeasement_workflow_id,
    booking_key,
    cart_hold_step_key,
    cart_hold_workflow_id,
    cart_ledger_id,
    fraud_review_task_id,
    fulfilment_id,
    fulfilment_workflow_id,
    order_event_id,
    order_of_workflow,
    order_workflow_id,
    payment_exception_task_id,
    payment_recovery_workflow_id,
    pick_task_id,
    profile_ref,
    reroute_step,
    reversed_capture_task_id,
    step_key,
    stock_event_id,
    stock_step,
    sync_workflow_id,
)
from oms.request_keys import idempotency_token, request_fingerprint


@pytest.mark.parametrize("step", [INITIAL_STEP, reroute_step(2), stock_step(3)])
@pytest.mark.parametrize("order_id", ["WEB-1", "odd:source:id", "a.b_c-9"])
def test_a_step_key_reads_back_as_the_order_and_step_it_was_built_from(
    order_id: str, step: str
) -> None:
    key = step_key(order_id, step)
    assert StepKey.parse(key) == StepKey(order_id=order_id, step=step)


@pytest.mark.parametrize("text", ["WEB-1", ":source:initial", "WEB-1:source:", ""])
def test_what_is_not_a_step_key_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a sourcing step key"):
        StepKey.parse(text)


@pytest.mark.parametrize("order_id", ["WEB-1", "odd.F.id", "a.F2.b", "order-x"])
def test_an_order_and_its_fulfilments_runs_read_back_as_the_order(order_id: str) -> None:
    assert order_of_workflow(order_workflow_id(order_id)) == order_id
    assert order_of_workflow(fulfilment_workflow_id(fulfilment_id(order_id, 3))) == order_id


@pytest.mark.parametrize(
    "workflow_id",
    ["atp-watch", cart_hold_workflow_id("C1"), sync_workflow_id("S1"), "order-", "fulfilment-X"],
)
def test_runs_that_are_about_no_order_read_back_as_none(workflow_id: str) -> None:
    assert order_of_workflow(workflow_id) is None


def test_ids_keep_the_shapes_running_workflows_and_stored_rows_already_have() -> None:
    # Workflow ids and step keys are in Temporal histories and the reservation ledger: a new
    # shape would orphan every order in flight.
    assert order_workflow_id("WEB-1") == "order-WEB-1"
    assert fulfilment_id("WEB-1", 2) == "WEB-1.F2"
    assert step_key("WEB-1", INITIAL_STEP) == "WEB-1:source:initial"
    assert profile_ref("central", 2) == "central@v2"


def test_keys_sent_to_gateways_and_carriers_keep_their_shapes() -> None:
    # A gateway deduplicates on these: a new shape across a deploy would charge a retried
    # capture twice.
    assert authorize_key("WEB-1") == "WEB-1:authorize"
    assert capture_key("WEB-1", "WEB-1.F1") == "WEB-1:capture:WEB-1.F1"
    assert void_key("WEB-1") == "WEB-1:void"
    assert booking_key("WEB-1.F1") == "WEB-1.F1:book"


def test_task_event_and_hold_ids_keep_their_shapes() -> None:
    # Stored in task rows, the outbox and the ledger: analysts' links and retries use them.
    assert fraud_review_task_id("WEB-1") == "fraud-review-WEB-1"
    assert payment_exception_task_id("WEB-1.F1") == "payment-exception-WEB-1.F1"
    assert pick_task_id("WEB-1.F1") == "pick-WEB-1.F1"
    assert order_event_id("WEB-1", "order.completed") == "WEB-1:order.completed"
    assert (
        stock_event_id("web-fr", "TEE", "out_of_stock", 0, 42) == "atp:web-fr:TEE:out_of_stock:0:42"
    )
    assert cart_ledger_id("C1") == "cart:C1"
    assert cart_hold_step_key("C1", "abc") == "cart:C1:abc"
    assert fulfilment_workflow_id("WEB-1.F1") == "fulfilment-WEB-1.F1"
    assert cart_hold_workflow_id("C1") == "cart-hold-C1"
    assert sync_workflow_id("S1") == "inventory-sync-S1"


def test_a_request_s_fingerprint_is_what_it_asks_not_how_it_is_written() -> None:
    route = "/orders/{order_id}/lines/{line_id}/cancel"
    asked = request_fingerprint("post", route, {"order_id": "W1", "line_id": "1"}, {"a": 1, "b": 2})

    assert asked == request_fingerprint(
        "POST", route, {"line_id": "1", "order_id": "W1"}, {"b": 2, "a": 1}
    )
    assert asked != request_fingerprint(
        "POST", route, {"order_id": "W1", "line_id": "2"}, {"a": 1, "b": 2}
    )
    assert asked != request_fingerprint("POST", route, {"order_id": "W1", "line_id": "1"}, {"a": 1})


def test_an_idempotency_token_is_the_key_for_one_caller_and_one_request() -> None:
    token = idempotency_token("key1", "call-42", "f" * 64)

    assert token.startswith("call-42:")
    assert token == idempotency_token("key1", "call-42", "f" * 64)
    assert token != idempotency_token("key2", "call-42", "f" * 64)
    assert token != idempotency_token("key1", "call-42", "e" * 64)


def test_a_recovery_keys_each_try_apart_from_the_orders_own_and_from_other_reversals() -> None:
    # The order's retry of WEB-1.F1 and two recoveries of reversed captures of it: a key
    # shared with any of them would be answered by the gateway with that operation.
    tries = {
        capture_again_key("WEB-1.F1", "retry", 1),
        recovery_try("WEB-1.F1", "WEB-1:capture:WEB-1.F1", "retry", 1),
        recovery_try("WEB-1.F1", "WEB-1:capture:WEB-1.F1~retry1", "retry", 1),
        recovery_try("WEB-1.F1", "WEB-1:capture:WEB-1.F1", "retry", 2),
        recovery_try("WEB-1.F1", "WEB-1:capture:WEB-1.F1", "reauthorize", 1),
    }
    try_ = recovery_try("WEB-1.F1", "WEB-1:capture:WEB-1.F1", "reauthorize", 1)
    keys = [capture_key("WEB-1", try_), recovery_authorize_key("WEB-1", try_)]
    keys.append(recovery_void_key("WEB-1", try_))

    assert len(tries) == 5
    assert capture_fulfilment(keys[0]) == "WEB-1.F1"
    assert [payment_key_order_id(k) for k in keys] == ["WEB-1"] * 3
    assert reversed_capture_task_id("WEB-1:capture:WEB-1.F1", 2) == (
        f"{reversed_capture_task_id('WEB-1:capture:WEB-1.F1')}-2"
    )
    assert payment_recovery_workflow_id("payment-reversed-ab") == (
        "payment-recovery-payment-reversed-ab"
    )


@pytest.mark.parametrize("order_id", ["WEB-1", "odd.A.id", "a.A2.b", "goodwill:x"])
def test_an_appeasement_s_refund_keys_read_back_as_it_and_never_as_a_return(
    order_id: str,
) -> None:
    aid = appeasement_id(order_id, 2)
    key = refund_key(order_id, appeasement_refund_for(aid, "cap_1"))

    assert appeasement_seq(order_id, aid) == 2
    assert key.startswith(appeasement_refund_prefix(order_id, aid))
    assert (refund_appeasement(key), refunded_capture(key)) == (aid, "cap_1")
    assert refund_return(key) is None
    assert payment_key_order_id(key) == order_id
    # A return's refund of the same order is not an appeasement's.
    returned = refund_key(order_id, return_refund_for(f"{order_id}.R1", 0, "cap_1"))
    assert refund_appeasement(returned) is None
    assert refund_return(returned) == f"{order_id}.R1"


def test_appeasement_ids_and_keys_keep_their_shapes() -> None:
    # In Temporal (the run's id), the ledger and the gateway (its refund's key) and the outbox.
    assert appeasement_id("WEB-1", 1) == "WEB-1.A1"
    assert appeasement_workflow_id("WEB-1.A1") == "appeasement-WEB-1.A1"
    assert (
        refund_key("WEB-1", appeasement_refund_for("WEB-1.A1", "cap_1"))
        == "WEB-1:refund:appeasement/WEB-1.A1@cap_1"
    )
    assert appeasement_event_id("order.appeasement_granted", "WEB-1.A1") == (
        "order.appeasement_granted:WEB-1.A1"
    )
    assert appeasement_seq("WEB-1", "WEB-1.R1") is None
    assert appeasement_seq("WEB-1", "WEB-2.A1") is None
