"""Pick waves as the domain decides them: which fulfilments a wave takes, the pick lines of
each strategy, what a picker's reports count, and how the sort shares out what is short."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from oms.domain.errors import ErrorCode
from oms.domain.wave_picks import SkuPick, SkuReport, distribute, record_picks
from oms.domain.waves import (
    UNPLACED,
    Candidate,
    CandidateLine,
    ProductPlace,
    WaveStrategy,
    choose,
    pick_lines,
)
from oms.services.pick_waves import merge_outcomes

T0 = datetime(2026, 12, 7, 9, tzinfo=UTC)


def ful(
    fid: str, *lines: tuple[str, int], express: bool = False, due_h: float | None = 1
) -> Candidate:
    return Candidate(
        fulfilment_id=fid,
        express=express,
        pick_due_at=None if due_h is None else T0 + timedelta(hours=due_h),
        lines=[
            CandidateLine(line_id=str(i), sku=sku, quantity=qty)
            for i, (sku, qty) in enumerate(lines, start=1)
        ],
    )


PLACES = {
    "TEE": ProductPlace(sku="TEE", category="apparel", bin="A-03", zone="A", walk_order=30),
    "JEAN": ProductPlace(sku="JEAN", category="apparel", bin="C-01", zone="C", walk_order=10),
    "MUG": ProductPlace(sku="MUG", category="home", bin="B-07", zone="B", walk_order=20),
    "SOCK": ProductPlace(sku="SOCK", category="apparel", bin="A-01", zone="A", walk_order=30),
    "LAMP": ProductPlace(sku="LAMP", category="home"),
}
ORDERS = [
    ful("F1", ("TEE", 2), ("MUG", 1)),
    ful("F2", ("JEAN", 1), ("TEE", 1), ("LAMP", 1)),
    ful("F3", ("SOCK", 3), ("MUG", 2)),
]


def test_express_goes_first_then_the_earliest_due_then_the_id() -> None:
    late = ful("F-A", ("TEE", 1), due_h=5)
    soon = ful("F-B", ("TEE", 1), due_h=1)
    soon_too = ful("F-0", ("TEE", 1), due_h=1)
    express_late = ful("F-Z", ("TEE", 1), express=True, due_h=8)
    no_due = ful("F-C", ("TEE", 1), due_h=None)

    chosen = choose([late, no_due, soon, express_late, soon_too], max_fulfilments=10)

    assert [c.fulfilment_id for c in chosen] == ["F-Z", "F-0", "F-B", "F-A", "F-C"]


def test_a_wave_takes_at_most_its_size_the_most_urgent_first() -> None:
    many = [ful(f"F{i:02}", ("TEE", 1), due_h=i) for i in range(10)]

    chosen = choose(reversed(many), max_fulfilments=3)

    assert [c.fulfilment_id for c in chosen] == ["F00", "F01", "F02"]


def test_a_unit_limit_skips_a_fulfilment_too_big_but_takes_smaller_ones_after_it() -> None:
    first = ful("F1", ("TEE", 4), due_h=1)
    too_big = ful("F2", ("TEE", 5), due_h=2)
    fits = ful("F3", ("MUG", 2), due_h=3)

    chosen = choose([first, too_big, fits], max_fulfilments=10, max_units=6)

    assert [c.fulfilment_id for c in chosen] == ["F1", "F3"]
    # However big, the most urgent fulfilment is never left out of every wave.
    assert [c.fulfilment_id for c in choose([too_big], max_fulfilments=5, max_units=2)] == ["F2"]


def test_by_item_is_one_line_per_sku_with_the_total_quantity() -> None:
    lines = pick_lines(ORDERS, WaveStrategy.BY_ITEM, PLACES)

    assert [(line.seq, line.sku, line.quantity) for line in lines] == [
        (1, "JEAN", 1),
        (2, "LAMP", 1),
        (3, "MUG", 3),
        (4, "SOCK", 3),
        (5, "TEE", 3),
    ]
    assert lines[2].bin == "B-07"


def test_by_category_groups_each_categorys_skus() -> None:
    lines = pick_lines(ORDERS, WaveStrategy.BY_CATEGORY, PLACES)

    assert [(line.group, line.sku, line.quantity) for line in lines] == [
        ("apparel", "JEAN", 1),
        ("apparel", "SOCK", 3),
        ("apparel", "TEE", 3),
        ("home", "LAMP", 1),
        ("home", "MUG", 3),
    ]


def test_by_zone_walks_the_store_in_walk_order_then_bin_unplaced_products_last() -> None:
    lines = pick_lines(ORDERS, WaveStrategy.BY_ZONE, PLACES)

    assert [(line.group, line.sku, line.bin, line.quantity) for line in lines] == [
        ("C", "JEAN", "C-01", 1),
        ("B", "MUG", "B-07", 3),
        ("A", "SOCK", "A-01", 3),
        ("A", "TEE", "A-03", 3),
        (UNPLACED, "LAMP", None, 1),
    ]
    assert [line.seq for line in lines] == [1, 2, 3, 4, 5]


def test_per_order_is_one_group_per_fulfilment_in_priority_order() -> None:
    chosen = choose(
        [ORDERS[0], ORDERS[1].model_copy(update={"express": True}), ORDERS[2]], max_fulfilments=9
    )

    lines = pick_lines(chosen, WaveStrategy.PER_ORDER, PLACES)

    assert [(line.group, line.sku, line.quantity) for line in lines] == [
        ("F2", "JEAN", 1),
        ("F2", "TEE", 1),
        ("F2", "LAMP", 1),
        ("F1", "MUG", 1),
        ("F1", "TEE", 2),
        ("F3", "MUG", 2),
        ("F3", "SOCK", 3),
    ]
    assert {line.fulfilment_id for line in lines} == {"F1", "F2", "F3"}


def test_a_count_sets_the_skus_figure_and_scans_add_one_unit_each() -> None:
    wanted = {"TEE": 3, "MUG": 3}
    barcodes = {"0001": "TEE", "0002": "MUG"}

    picks, errors = record_picks(
        wanted,
        {},
        [SkuReport(sku="TEE", count=1), SkuReport(sku="MUG", barcodes=["0002"])],
        barcodes,
    )
    picks, more = record_picks(
        wanted,
        picks,
        [SkuReport(sku="TEE", count=2), SkuReport(sku="MUG", barcodes=["0002", "0002"])],
        barcodes,
    )

    assert errors == more == []
    assert (picks["TEE"].picked, picks["MUG"].picked) == (2, 3)


def test_a_barcode_of_another_product_is_wrong_item_and_counts_nothing() -> None:
    before = {"TEE": SkuPick(picked=1)}

    picks, errors = record_picks(
        {"TEE": 3, "MUG": 1},
        before,
        [SkuReport(sku="TEE", barcodes=["0001", "0002"])],
        {"0001": "TEE", "0002": "MUG"},
    )

    assert [(e.field, e.code) for e in errors] == [("lines[0].barcodes[1]", ErrorCode.WRONG_ITEM)]
    assert picks["TEE"].picked == 1


def test_an_unknown_barcode_a_sku_off_the_wave_and_too_many_units_are_refused() -> None:
    _, errors = record_picks(
        {"TEE": 2},
        {},
        [
            SkuReport(sku="TEE", barcodes=["9999"]),
            SkuReport(sku="LAMP", count=1),
            SkuReport(sku="TEE", count=3),
        ],
        {"0001": "TEE"},
    )

    assert [(e.field, e.code) for e in errors] == [
        ("lines[0].barcodes[0]", ErrorCode.UNKNOWN_BARCODE),
        ("lines[1].sku", ErrorCode.UNKNOWN_LINE),
        ("lines[2].count", ErrorCode.PICK_EXCEEDS_REQUESTED),
    ]


def test_a_report_is_a_count_or_scans_not_both() -> None:
    with pytest.raises(ValidationError):
        SkuReport(sku="TEE", count=1, barcodes=["0001"])
    with pytest.raises(ValidationError):
        SkuReport(sku="TEE")


def test_the_sort_gives_short_units_to_express_then_the_earliest_due_then_the_id() -> None:
    members = [
        ful("F-late", ("TEE", 2), due_h=5),
        ful("F-b", ("TEE", 1), ("MUG", 1), due_h=1),
        ful("F-a", ("TEE", 1), due_h=1),
        ful("F-express", ("TEE", 2), express=True, due_h=9),
    ]
    picks = {"TEE": SkuPick(picked=4, short_reason="damaged"), "MUG": SkuPick(picked=1)}

    reports = distribute(members, picks)

    assert list(reports) == ["F-express", "F-a", "F-b", "F-late"]
    got = {fid: [(p.picked, p.short_reason) for p in lines] for fid, lines in reports.items()}
    assert got == {
        "F-express": [(2, None)],
        "F-a": [(1, None)],
        "F-b": [(1, None), (1, None)],
        "F-late": [(0, "damaged")],
    }


def test_a_sku_never_reported_is_short_as_not_found() -> None:
    reports = distribute([ful("F1", ("TEE", 2), ("MUG", 1))], {"TEE": SkuPick(picked=1)})

    assert [(p.line_id, p.picked, p.short_reason) for p in reports["F1"]] == [
        ("1", 1, "not_found"),
        ("2", 0, "not_found"),
    ]


def test_a_pick_that_went_through_replaces_a_concurrent_sorts_refusal_not_the_reverse() -> None:
    picked = {"status": "PICKED", "given": {"TEE": 2}}
    refused = {"code": "invalid_state", "reason": "picked already", "given": {}}

    assert merge_outcomes({"F1": refused}, {"F1": picked}) == {"F1": picked}
    assert merge_outcomes({"F1": picked}, {"F1": refused}) == {"F1": picked}
    assert merge_outcomes({"F1": picked}, {"F2": refused}) == {"F1": picked, "F2": refused}
