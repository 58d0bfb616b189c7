"""Scans for a fulfilment's step, as the domain counts them (oms.domain.fulfilment_scans)."""

from __future__ import annotations

from oms.domain.errors import ErrorCode, FieldError
from oms.domain.fulfilment import FulfilmentLine, PickedLine
from oms.domain.fulfilment_profiles import PickMode, StepType
from oms.domain.fulfilment_scans import pick_from_scans, place, scanning_step, unverified
from oms.domain.fulfilment_steps import StepState, StepStatus

LINES = [
    FulfilmentLine(line_id="1", sku="SKU-TEE", quantity=2),
    FulfilmentLine(line_id="2", sku="SKU-MUG", quantity=1),
]
SCANNED_PICK = StepState(key="pick", type=StepType.PICK, mode=PickMode.SCAN_EACH)
VERIFY = StepState(key="verify", type=StepType.VERIFY)


def test_a_unit_of_a_product_on_the_lines_counts_for_its_line_until_the_line_is_full() -> None:
    assert place(SCANNED_PICK, LINES, {}, "1", "SKU-TEE") == "1"
    full = place(SCANNED_PICK, LINES, {"1": 2}, "1", "SKU-TEE")
    assert isinstance(full, FieldError)
    assert full.code is ErrorCode.PICK_EXCEEDS_REQUESTED


def test_another_product_or_an_unknown_barcode_counts_for_nothing() -> None:
    other = place(SCANNED_PICK, LINES, {}, "5012345678900", "SKU-JEAN")
    unknown = place(SCANNED_PICK, LINES, {}, "99999997", None)
    assert isinstance(other, FieldError)
    assert isinstance(unknown, FieldError)
    assert (other.code, unknown.code) == (ErrorCode.WRONG_ITEM, ErrorCode.UNKNOWN_BARCODE)


def test_a_fast_pick_takes_no_scans_but_a_verify_does() -> None:
    fast = StepState(key="pick", type=StepType.PICK, mode=PickMode.FAST)
    assert scanning_step([fast, VERIFY]) is None
    done = fast.model_copy(update={"status": StepStatus.DONE})
    assert scanning_step([done, VERIFY]) == VERIFY


def test_a_verify_expects_what_was_picked_not_what_was_ordered() -> None:
    picked = [LINES[0].model_copy(update={"picked": 1}), LINES[1].model_copy(update={"picked": 1})]
    assert unverified(VERIFY, picked, {"1": 1}) == [
        FieldError(
            field="lines[1]",
            code=ErrorCode.NOT_SCANNED,
            reason="0 of the 1 picked units of SKU-MUG scanned again",
        )
    ]
    assert unverified(VERIFY, picked, {"1": 1, "2": 1}) == []


def test_a_scanned_pick_reports_the_scans_and_refuses_a_figure_above_them() -> None:
    lines, errors = pick_from_scans(LINES, {"1": 2}, None)
    assert [(p.line_id, p.picked) for p in lines] == [("1", 2), ("2", 0)]
    assert errors == []
    given = [PickedLine(line_id="1", picked=2), PickedLine(line_id="2", picked=1)]
    _, refused = pick_from_scans(LINES, {"1": 2}, given)
    assert [(e.field, e.code) for e in refused] == [("lines[1].picked", ErrorCode.NOT_SCANNED)]
