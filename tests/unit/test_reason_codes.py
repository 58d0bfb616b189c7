"""The reason-code taxonomy's rules, without a database."""

from __future__ import annotations

from oms.domain.fulfilment import FulfilmentLine, PickedLine, PickReport, apply_pick
from oms.domain.order import CancelReason
from oms.domain.reason_codes import (
    BUILT_IN_BY_CODE,
    ReasonEffects,
    ReasonUsage,
    RoutingEffect,
    StockChange,
    StockEffect,
    change_refusal,
    refusal,
    stock_change,
)


def test_every_cancel_reason_the_order_records_is_a_built_in_cancellation_code() -> None:
    for reason in CancelReason:
        assert BUILT_IN_BY_CODE[reason.value].allows(ReasonUsage.CANCELLATION), reason


def test_each_stock_effect_moves_the_short_units_its_own_way() -> None:
    assert stock_change(StockEffect.WRITE_OFF, 2) == StockChange(on_hand=-2)
    assert stock_change(StockEffect.QUARANTINE, 2) == StockChange(on_hand=-2, quarantined=2)
    assert stock_change(StockEffect.RECOUNT, 2) == StockChange(recount=True)
    assert stock_change(StockEffect.NONE, 2) == StockChange()
    assert stock_change(StockEffect.RECOUNT, 0) == StockChange()  # nothing short, no recount


def test_a_code_is_refused_where_it_is_not_meant_to_be_used() -> None:
    field = "lines[0].short_reason"
    damaged = BUILT_IN_BY_CODE["damaged"]
    assert refusal(damaged, "damaged", ReasonUsage.SHORT_PICK, field) is None

    wrong_use = refusal(
        BUILT_IN_BY_CODE["customer_request"], "customer_request", ReasonUsage.SHORT_PICK, field
    )
    retired = refusal(
        damaged.model_copy(update={"active": False}), "damaged", ReasonUsage.SHORT_PICK, field
    )
    unknown = refusal(None, "lost", ReasonUsage.SHORT_PICK, field)
    for error, why in (
        (wrong_use, "not for a short_pick"),
        (retired, "no longer"),
        (unknown, "no"),
    ):
        assert error is not None
        assert (error.field, error.code) == (field, "reason_not_allowed")
        assert why in error.reason


def test_a_built_in_code_keeps_its_usages_but_may_change_its_effects() -> None:
    stored = BUILT_IN_BY_CODE["not_found"]
    quarantine = stored.model_copy(update={"stock_effect": StockEffect.QUARANTINE})
    narrowed = stored.model_copy(update={"usages": [ReasonUsage.ADJUSTMENT]})

    assert change_refusal(stored, quarantine) is None
    error = change_refusal(stored, narrowed)
    assert error is not None
    assert (error.field, error.code) == ("usages", "built_in")


def test_a_pick_keeps_the_effects_its_short_reason_had_when_reported() -> None:
    lines = [
        FulfilmentLine(line_id="1", sku="SKU-TEE", quantity=2),
        FulfilmentLine(line_id="2", sku="SKU-MUG", quantity=1),
    ]
    cancel = ReasonEffects(stock=StockEffect.NONE, routing=RoutingEffect.CANCEL_UNITS)
    report = PickReport(
        lines=[
            PickedLine(line_id="1", picked=1, short_reason="customs_hold"),
            PickedLine(line_id="2", picked=1, short_reason="customs_hold"),  # not short
        ],
        effects={"customs_hold": cancel},
    )

    tee, mug = apply_pick(lines, report)

    assert (tee.short_reason, tee.short_effects, tee.short_cancelled) == (
        "customs_hold",
        cancel,
        True,
    )
    assert (mug.short_reason, mug.short_effects, mug.short_cancelled) == (None, None, False)
