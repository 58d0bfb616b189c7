"""Identifiers are built and read back in one place."""

from __future__ import annotations

import pytest

from oms.keys import (
    INITIAL_STEP,
    StepKey,
    fulfilment_id,
    order_workflow_id,
    profile_ref,
    reroute_step,
    step_key,
    stock_step,
)


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


def test_ids_keep_the_shapes_running_workflows_and_stored_rows_already_have() -> None:
    # Workflow ids and step keys are in Temporal histories and the reservation ledger: a new
    # shape would orphan every order in flight.
    assert order_workflow_id("WEB-1") == "order-WEB-1"
    assert fulfilment_id("WEB-1", 2) == "WEB-1.F2"
    assert step_key("WEB-1", INITIAL_STEP) == "WEB-1:source:initial"
    assert profile_ref("central", 2) == "central@v2"
