"""Reading snapshot files: each row valid or refused with its row number, field, code and
reason; a file that cannot be read as a whole is refused before any row."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oms.domain.snapshots import (
    FileRefused,
    MissingPolicy,
    RowError,
    Scope,
    SnapshotFormat,
    SnapshotRow,
    default_missing,
    read_rows,
)

SKUS = ["SKU-TEE", "SKU-MUG"]
LOCATIONS = ["ST-OPERA", "ST-LYON"]


def read(
    text: str | bytes, fmt: SnapshotFormat = SnapshotFormat.CSV, location_id: str | None = None
) -> list[SnapshotRow | RowError]:
    raw = text.encode() if isinstance(text, str) else text
    scope = Scope(skus=SKUS, locations=LOCATIONS, location_id=location_id)
    return list(read_rows(io.BytesIO(raw), fmt, scope))


def refusals(items: list[SnapshotRow | RowError]) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.code.value) for e in items if isinstance(e, RowError)]


def test_a_csv_row_is_read_by_column_name_whatever_the_column_order() -> None:
    (row,) = read(
        "\ufeffon_hand, sku ,location_id,source_updated_at,in_transit,source_version\n"
        " 7 ,SKU-TEE, ST-OPERA ,2026-11-26T12:00:00+01:00,,1732621200000\n"
    )

    assert row == SnapshotRow(
        row=1,
        sku="SKU-TEE",
        location_id="ST-OPERA",
        on_hand=7,
        in_transit=None,
        source_version=1732621200000,
        source_updated_at=datetime(2026, 11, 26, 11, 0, tzinfo=UTC),
    )


def test_a_time_without_an_offset_is_taken_as_utc() -> None:
    (row,) = read(
        '{"sku": "SKU-MUG", "location_id": "ST-LYON", "on_hand": 0,'
        ' "source_updated_at": "2026-11-26T12:00:00"}\n',
        SnapshotFormat.JSONL,
    )

    assert isinstance(row, SnapshotRow)
    assert row.source_updated_at == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_each_bad_json_line_is_refused_with_its_line_number_and_a_stable_code() -> None:
    items = read(
        '{"sku": "SKU-TEE", "location_id": "ST-OPERA", "on_hand": 1}\n'
        '{"sku": "SKU-TEE", "location_id": \n'
        '["SKU-TEE", "ST-OPERA", 1]\n'
        '{"sku": "SKU-MUG", "location_id": "ST-OPERA", "on_hand": 1, "colour": "red"}\n'
        '{"sku": "SKU-MUG", "location_id": "ST-OPERA", "on_hand": "many"}\n'
        '{"sku": "SKU-MUG", "location_id": "ST-OPERA", "on_hand": 1.5}\n'
        '{"sku": "SKU-MUG", "location_id": "ST-OPERA", "on_hand": true}\n'
        '{"location_id": "ST-OPERA", "on_hand": 1}\n'
        '{"sku": "SKU-MUG", "location_id": "ST-OPERA", "on_hand": 1, "source_updated_at": "soon"}\n'
        '{"sku": "SKU-MUG", "location_id": "ST-OPERA", "on_hand": 99999999999}\n'
        '{"sku": "SKU-MUG", "location_id": "ST-OPERA", "on_hand": null}\n'
        "\n"
        '{"sku": 12, "location_id": "ST-OPERA", "on_hand": 1}\n'
        '{"sku": "SKU-MUG", "location_id": "ST-LYON", "on_hand": "4"}\n',
        SnapshotFormat.JSONL,
    )

    assert refusals(items) == [
        (2, "row", "malformed_json"),
        (3, "row", "invalid_type"),
        (4, "colour", "unknown_field"),
        (5, "on_hand", "invalid_type"),
        (6, "on_hand", "invalid_type"),
        (7, "on_hand", "invalid_type"),
        (8, "sku", "required"),
        (9, "source_updated_at", "invalid_format"),
        (10, "on_hand", "out_of_range"),
        (11, "on_hand", "required"),
        (13, "sku", "invalid_type"),
    ]
    assert all(isinstance(e.reason, str) and e.reason for e in items if isinstance(e, RowError))
    assert [r.row for r in items if isinstance(r, SnapshotRow)] == [1, 14]


def test_a_row_of_another_location_is_refused_in_a_location_snapshot() -> None:
    items = read(
        "sku,location_id,on_hand\nSKU-TEE,ST-OPERA,1\nSKU-TEE,ST-LYON,1\n",
        location_id="ST-OPERA",
    )

    assert refusals(items) == [(2, "location_id", "invalid")]


def test_a_refused_figure_still_names_its_position_but_an_unknown_sku_does_not() -> None:
    bad_figure, unknown = read("sku,location_id,on_hand\nSKU-TEE,ST-OPERA,x\nSKU-X,ST-OPERA,1\n")

    assert isinstance(bad_figure, RowError)
    assert bad_figure.position == ("SKU-TEE", "ST-OPERA")
    assert isinstance(unknown, RowError)
    assert unknown.position is None


def test_the_second_row_of_a_position_is_refused_and_names_the_first() -> None:
    items = read(
        "sku,location_id,on_hand\nSKU-TEE,ST-OPERA,1\nSKU-MUG,ST-OPERA,1\nSKU-TEE,ST-OPERA,2\n"
    )

    (dup,) = [e for e in items if isinstance(e, RowError)]
    assert (dup.row, dup.code.value) == (3, "duplicate_row")
    assert "row 1" in dup.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [("body", "required")]),
        ("\n\n", [("body", "required")]),
        ("sku,location_id\nSKU-TEE,ST-OPERA\n", [("header", "required")]),
        (
            "sku,location_id,on_hand,colour\nSKU-TEE,ST-OPERA,1,red\n",
            [("header", "unknown_field")],
        ),
        ("sku,sku,location_id,on_hand\n", [("header", "invalid")]),
    ],
)
def test_a_csv_file_without_a_usable_header_is_refused_whole(
    text: str, expected: list[tuple[str, str]]
) -> None:
    with pytest.raises(FileRefused) as refused:
        read(text)

    assert [(e.field, e.code.value) for e in refused.value.errors] == expected


def test_bytes_that_are_not_utf8_fail_their_row_only() -> None:
    items = read(b"sku,location_id,on_hand\nSKU-T\xe9E,ST-OPERA,1\nSKU-MUG,ST-OPERA,1\n")

    assert refusals(items) == [(1, "sku", "unknown_sku")]


def test_a_location_snapshot_zeroes_what_it_leaves_out_by_default_a_network_file_does_not() -> None:
    assert default_missing("ST-OPERA") is MissingPolicy.ZERO
    assert default_missing(None) is MissingPolicy.KEEP


CELLS = {
    "sku": ["SKU-TEE", " SKU-MUG ", "SKU-NEW", "", "  ", "X" * 65],
    "location_id": ["ST-OPERA", "ST-LYON ", "WH-NOWHERE", "", "L" * 65],
    "on_hand": ["3", " 7 ", "0", "-1", "", " ", "1_000", "2147483648", "٣", "1.5", "x"],
    "in_transit": ["", " ", "2", "-2", "9" * 12, "y"],
    "source_version": ["", "5", str(2**63), "-5", "v1"],
    "source_updated_at": ["", "2026-11-26T10:00:00+02:00", "2026-11-26 10:00", "yesterday"],
}


@settings(max_examples=300)
@given(
    names=st.sets(st.sampled_from(list(CELLS)[3:])).flatmap(
        lambda optional: st.permutations([*list(CELLS)[:3], *sorted(optional)])
    ),
    picks=st.lists(st.lists(st.integers(0, 10), min_size=6, max_size=6), max_size=12),
    location_id=st.sampled_from([None, "ST-OPERA"]),
)
def test_the_fast_csv_check_answers_exactly_as_the_full_check(
    names: list[str], picks: list[list[int]], location_id: str | None
) -> None:
    # Rows drawn from good and bad cells alike, repeats included, in any column order.
    rows = [
        [CELLS[n][i % len(CELLS[n])] for n, i in zip(names, pick, strict=False)] for pick in picks
    ]
    fast_scope = Scope(skus=SKUS, locations=LOCATIONS, location_id=location_id)
    full_scope = Scope(skus=SKUS, locations=LOCATIONS, location_id=location_id)
    fast = fast_scope.cells_checker(names)
    for n, cells in enumerate(rows, start=1):
        assert fast(n, cells) == full_scope.check(n, dict(zip(names, cells, strict=True)))
