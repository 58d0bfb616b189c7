from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from oms.domain.availability import (
    Channel,
    ChannelAtp,
    Exclusion,
    LocationInfo,
    Position,
    ProductInfo,
    StockEvent,
    atp_channel,
    atp_location,
    crossing,
)
from oms.domain.safety import POSITION_PRECEDENCE, SafetyQuantity, SafetyRule, SafetyScope

SHIRT = ProductInfo(sku="SHIRT-M", category="apparel")
BOOTS = ProductInfo(sku="BOOTS-42", category="shoes")


def store(loc_id: str, *, is_open: bool = True) -> LocationInfo:
    return LocationInfo(id=loc_id, type="store", country="FR", is_open=is_open)


def dropship(loc_id: str, vendor: str) -> LocationInfo:
    return LocationInfo(id=loc_id, type="dropship", vendor_id=vendor, country="FR")


def pos(loc_id: str, on_hand: int, reserved: int = 0, *, sku: str = SHIRT.sku) -> Position:
    return Position(sku=sku, location_id=loc_id, on_hand=on_hand, reserved=reserved)


def rule(rule_id: str, scope: str, *, qty: int | None = None, **fields: Any) -> SafetyRule:
    if qty is None and "percent" not in fields:
        qty = 0
    return SafetyRule(id=rule_id, scope=SafetyScope(scope), quantity=qty, **fields)


def web(network: list[str], *, buffer: SafetyQuantity | None = None, market: str = "FR") -> Channel:
    return Channel(id="web-fr", market=market, network=network, buffer=buffer)


def channel_atp(
    channel: Channel,
    positions: list[Position],
    locations: list[LocationInfo],
    rules: list[SafetyRule] = [],  # noqa: B006 - never mutated
    exclusions: list[Exclusion] = [],  # noqa: B006 - never mutated
    product: ProductInfo = SHIRT,
) -> ChannelAtp:
    by_id = {loc.id: loc for loc in locations}
    return atp_channel(product.sku, channel, positions, by_id, product, rules, exclusions)


# ATP at a location ------------------------------------------------------------------------------


def test_a_location_promises_on_hand_less_reserved_less_safety_stock() -> None:
    # given 25 on hand, 10 reserved and a store-wide safety stock of 5
    rules = [rule("S-STORES", "location_type", qty=5, location_type="store")]
    # when
    result = atp_location(pos("PARIS-1", 25, 10), store("PARIS-1"), SHIRT, rules)
    # then
    assert result.atp == 10
    assert result.terms.on_hand == 25
    assert result.terms.reserved == 10
    assert result.terms.safety == 5
    assert result.terms.safety_rule == "S-STORES"
    assert result.terms.safety_scope is SafetyScope.LOCATION_TYPE
    assert result.terms.closed is False


def test_without_any_rule_a_location_holds_nothing_back() -> None:
    result = atp_location(pos("PARIS-1", 7, 2), store("PARIS-1"), SHIRT, [])
    assert result.atp == 5
    assert result.terms.safety == 0
    assert result.terms.safety_rule is None


def test_stock_in_transit_is_shown_but_not_promised() -> None:
    position = Position(sku=SHIRT.sku, location_id="PARIS-1", on_hand=3, reserved=0, in_transit=40)
    result = atp_location(position, store("PARIS-1"), SHIRT, [])
    assert result.atp == 3
    assert result.terms.in_transit == 40


def test_quarantined_units_are_shown_in_the_terms_but_never_promised() -> None:
    position = Position(sku=SHIRT.sku, location_id="PARIS-1", on_hand=3, reserved=1, quarantined=5)
    result = atp_location(position, store("PARIS-1"), SHIRT, [])
    assert (result.atp, result.terms.quarantined) == (2, 5)
    assert result.explain() == (
        "PARIS-1: on hand 3 - reserved 1 - safety 0 = 2; 5 quarantined, not counted"
    )


def test_a_closed_location_promises_nothing_but_still_shows_its_terms() -> None:
    rules = [rule("S1", "location", qty=2, location_id="PARIS-1")]
    result = atp_location(pos("PARIS-1", 25, 3), store("PARIS-1", is_open=False), SHIRT, rules)
    assert result.atp == 0
    assert result.terms.closed is True
    assert (result.terms.on_hand, result.terms.reserved, result.terms.safety) == (25, 3, 2)
    assert "closed" in result.explain()


def test_a_location_that_owes_more_than_it_holds_promises_zero_not_a_negative() -> None:
    # given a cycle count found 4 units where 6 are already reserved
    result = atp_location(pos("PARIS-1", 4, 6), store("PARIS-1"), SHIRT, [])
    assert result.atp == 0
    assert "floored from -2" in result.explain()


def test_safety_stock_larger_than_what_is_free_floors_the_location_at_zero() -> None:
    rules = [rule("S1", "sku", qty=10, sku=SHIRT.sku)]
    assert atp_location(pos("PARIS-1", 8, 1), store("PARIS-1"), SHIRT, rules).atp == 0


def test_a_position_for_another_sku_or_location_is_refused() -> None:
    with pytest.raises(ValueError, match="is not"):
        atp_location(pos("LYON-1", 5), store("PARIS-1"), SHIRT, [])
    with pytest.raises(ValueError, match="is not"):
        atp_location(pos("PARIS-1", 5, sku="OTHER"), store("PARIS-1"), SHIRT, [])


# Each rule type ---------------------------------------------------------------------------------

VENDOR_LOC = dropship("DS-1", "ACME")
OTHER_VENDOR_LOC = dropship("DS-2", "OTHER")

RULE_CASES = [
    pytest.param(
        rule("R", "sku_at_location", qty=4, sku=SHIRT.sku, location_id="PARIS-1"),
        (store("PARIS-1"), SHIRT),
        [(store("LYON-1"), SHIRT), (store("PARIS-1"), BOOTS)],
        id="sku_at_location",
    ),
    pytest.param(
        rule("R", "sku", qty=4, sku=SHIRT.sku),
        (store("PARIS-1"), SHIRT),
        [(store("PARIS-1"), BOOTS)],
        id="sku",
    ),
    pytest.param(
        rule("R", "category", qty=4, category="apparel"),
        (store("PARIS-1"), SHIRT),
        [(store("PARIS-1"), BOOTS)],
        id="category",
    ),
    pytest.param(
        rule("R", "location", qty=4, location_id="PARIS-1"),
        (store("PARIS-1"), SHIRT),
        [(store("LYON-1"), SHIRT)],
        id="location",
    ),
    pytest.param(
        rule("R", "dropship_vendor", qty=4, vendor_id="ACME"),
        (VENDOR_LOC, SHIRT),
        [(OTHER_VENDOR_LOC, SHIRT), (store("PARIS-1"), SHIRT)],
        id="dropship_vendor",
    ),
    pytest.param(
        rule("R", "location_type", qty=4, location_type="store"),
        (store("PARIS-1"), SHIRT),
        [(LocationInfo(id="WH-1", type="warehouse", country="FR"), SHIRT)],
        id="location_type",
    ),
]


@pytest.mark.parametrize(("the_rule", "matching", "others"), RULE_CASES)
def test_a_rule_of_each_scope_holds_back_stock_where_it_matches_and_nowhere_else(
    the_rule: SafetyRule,
    matching: tuple[LocationInfo, ProductInfo],
    others: list[tuple[LocationInfo, ProductInfo]],
) -> None:
    location, product = matching
    hit = atp_location(pos(location.id, 20, sku=product.sku), location, product, [the_rule])
    assert (hit.atp, hit.terms.safety_rule) == (16, "R")
    for location, product in others:
        miss = atp_location(pos(location.id, 20, sku=product.sku), location, product, [the_rule])
        assert (miss.atp, miss.terms.safety_rule) == (20, None)


def test_a_channel_rule_holds_nothing_back_at_a_location() -> None:
    rules = [rule("C", "channel", qty=5, channel="web-fr")]
    assert atp_location(pos("PARIS-1", 20), store("PARIS-1"), SHIRT, rules).atp == 20


# Percentages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "on_hand", "held_back"),
    [
        pytest.param(10, 25, 3, id="2.5 rounds up to 3"),
        pytest.param(10, 30, 3, id="exact stays exact"),
        pytest.param(14.3, 1000, 143, id="decimal rate is not bumped by float error"),
        pytest.param(1, 1, 1, id="any fraction of a unit holds back a unit"),
        pytest.param(50, 0, 0, id="nothing on hand holds nothing back"),
        pytest.param(0, 40, 0, id="zero percent"),
        pytest.param(100, 40, 40, id="a hundred percent holds everything"),
    ],
)
def test_a_percentage_is_of_on_hand_and_rounds_up(
    percent: float, on_hand: int, held_back: int
) -> None:
    rules = [rule("P", "location", percent=percent, location_id="PARIS-1")]
    result = atp_location(pos("PARIS-1", on_hand), store("PARIS-1"), SHIRT, rules)
    assert result.terms.safety == held_back
    assert result.atp == on_hand - held_back


def test_a_percentage_is_of_on_hand_not_of_what_is_left_after_reservations() -> None:
    rules = [rule("P", "location", percent=20, location_id="PARIS-1")]
    result = atp_location(pos("PARIS-1", 50, 30), store("PARIS-1"), SHIRT, rules)
    assert (result.terms.safety, result.atp) == (10, 10)


# Precedence -------------------------------------------------------------------------------------

PARIS = store("PARIS-1")
MATCHING_PARIS = {
    SafetyScope.SKU_AT_LOCATION: {"sku": SHIRT.sku, "location_id": "PARIS-1"},
    SafetyScope.SKU: {"sku": SHIRT.sku},
    SafetyScope.CATEGORY: {"category": "apparel"},
    SafetyScope.LOCATION: {"location_id": "PARIS-1"},
    SafetyScope.LOCATION_TYPE: {"location_type": "store"},
}
MATCHING_DS = {
    SafetyScope.LOCATION: {"location_id": "DS-1"},
    SafetyScope.DROPSHIP_VENDOR: {"vendor_id": "ACME"},
    SafetyScope.LOCATION_TYPE: {"location_type": "dropship"},
}
ADJACENT = list(zip(POSITION_PRECEDENCE, POSITION_PRECEDENCE[1:], strict=False))


@pytest.mark.parametrize(("specific", "general"), ADJACENT, ids=lambda s: str(s))
def test_each_level_beats_the_next_even_when_it_holds_back_less(
    specific: SafetyScope, general: SafetyScope
) -> None:
    # given a rule at each of two adjacent levels, the less specific one holding back more
    uses_vendor = SafetyScope.DROPSHIP_VENDOR in (specific, general)
    location, fields = (VENDOR_LOC, MATCHING_DS) if uses_vendor else (PARIS, MATCHING_PARIS)
    rules = [
        rule("A-GENERAL", general, qty=9, **fields[general]),
        rule("Z-SPECIFIC", specific, qty=2, **fields[specific]),
    ]
    # when
    result = atp_location(pos(location.id, 20), location, SHIRT, rules)
    # then the more specific rule sets the safety stock
    assert result.terms.safety_rule == "Z-SPECIFIC"
    assert result.atp == 18


def test_with_a_rule_at_every_level_the_sku_at_location_rule_wins() -> None:
    rules = [rule(f"R-{s}", s, qty=i + 1, **f) for i, (s, f) in enumerate(MATCHING_PARIS.items())]
    result = atp_location(pos("PARIS-1", 20), PARIS, SHIRT, list(reversed(rules)))
    assert result.terms.safety_rule == f"R-{SafetyScope.SKU_AT_LOCATION}"
    assert result.atp == 19


def test_a_sku_rule_of_zero_exempts_a_fast_mover_from_its_stores_safety_stock() -> None:
    rules = [
        rule("S-STORES", "location_type", qty=5, location_type="store"),
        rule("S-SHIRT", "sku", qty=0, sku=SHIRT.sku),
    ]
    assert atp_location(pos("PARIS-1", 20), PARIS, SHIRT, rules).atp == 20
    assert atp_location(pos("PARIS-1", 20, sku=BOOTS.sku), PARIS, BOOTS, rules).atp == 15


def test_at_the_same_level_the_rule_holding_back_more_wins() -> None:
    rules = [
        rule("A", "category", qty=3, category="apparel"),
        rule("B", "category", qty=6, category="apparel"),
    ]
    assert atp_location(pos("PARIS-1", 20), PARIS, SHIRT, rules).terms.safety_rule == "B"


def test_at_the_same_level_a_percent_and_a_quantity_compare_by_units_held_back() -> None:
    rules = [
        rule("FIXED", "location", qty=8, location_id="PARIS-1"),
        rule("SHARE", "location", percent=20, location_id="PARIS-1"),
    ]
    assert atp_location(pos("PARIS-1", 50), PARIS, SHIRT, rules).terms.safety_rule == "SHARE"
    assert atp_location(pos("PARIS-1", 30), PARIS, SHIRT, rules).terms.safety_rule == "FIXED"


def test_an_exact_tie_goes_to_the_smaller_rule_id_whatever_the_order_rules_come_in() -> None:
    rules = [
        rule("S-2", "sku", qty=4, sku=SHIRT.sku),
        rule("S-1", "sku", qty=4, sku=SHIRT.sku),
    ]
    for ordering in (rules, list(reversed(rules))):
        assert atp_location(pos("PARIS-1", 20), PARIS, SHIRT, ordering).terms.safety_rule == "S-1"


# Rule validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"scope": "sku", "sku": "A"}, id="neither quantity nor percent"),
        pytest.param(
            {"scope": "sku", "sku": "A", "quantity": 1, "percent": 5.0}, id="both amounts"
        ),
        pytest.param({"scope": "sku", "sku": "A", "quantity": -1}, id="negative quantity"),
        pytest.param({"scope": "sku", "sku": "A", "percent": 120.0}, id="over a hundred percent"),
        pytest.param({"scope": "sku_at_location", "sku": "A", "quantity": 1}, id="missing field"),
        pytest.param(
            {"scope": "sku", "sku": "A", "location_id": "L", "quantity": 1}, id="foreign field"
        ),
        pytest.param(
            {"scope": "channel", "channel": "c", "sku": "A", "category": "x", "quantity": 1},
            id="channel narrowed twice",
        ),
        pytest.param({"scope": "channel", "sku": "A", "quantity": 1}, id="channel without id"),
    ],
)
def test_a_rule_that_does_not_say_exactly_what_it_holds_back_where_is_refused(
    fields: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError):
        SafetyRule(id="R", **fields)


def test_only_a_dropship_location_has_a_vendor() -> None:
    with pytest.raises(ValidationError, match="no drop-ship vendor"):
        LocationInfo(id="PARIS-1", type="store", vendor_id="ACME", country="FR")


# ATP for a channel ------------------------------------------------------------------------------

FOUR_STORES = [store(f"S{i}") for i in range(1, 5)]


def test_the_retailers_worked_example_promises_20() -> None:
    # given 100 on hand across 4 stores, 50 of them reserved, 5 safety stock in each store
    positions = [pos("S1", 25, 10), pos("S2", 25, 15), pos("S3", 25, 5), pos("S4", 25, 20)]
    rules = [rule("SAFETY-STORES", "location_type", qty=5, location_type="store")]
    # and a global buffer of 10 on the channel
    channel = web(["S1", "S2", "S3", "S4"], buffer=SafetyQuantity(quantity=10))
    # when
    result = channel_atp(channel, positions, FOUR_STORES, rules)
    # then 100 - 50 - 4 x 5 - 10
    assert result.atp == 20
    assert [line.counted for line in result.locations] == [10, 5, 15, 0]
    assert result.terms.network_atp == 30
    assert (result.terms.buffer, result.terms.buffer_rule) == (10, "channel-buffer:web-fr")
    assert "network 30 - buffer 10" in result.explain()


def test_channel_atp_sums_its_network_and_ignores_stock_outside_it() -> None:
    positions = [pos("S1", 4), pos("S2", 6), pos("S3", 100), pos("S1", 50, sku=BOOTS.sku)]
    result = channel_atp(web(["S1", "S2"]), positions, FOUR_STORES)
    assert result.atp == 10
    assert [line.location_id for line in result.locations] == ["S1", "S2"]


def test_a_network_location_without_a_position_counts_as_empty() -> None:
    result = channel_atp(web(["S1", "S2"]), [pos("S1", 4)], FOUR_STORES)
    assert result.atp == 4
    assert result.locations[1].location.terms.on_hand == 0


def test_a_closed_location_adds_nothing_to_the_channel() -> None:
    locations = [store("S1"), store("S2", is_open=False)]
    result = channel_atp(web(["S1", "S2"]), [pos("S1", 4), pos("S2", 9)], locations)
    assert result.atp == 4


def test_an_over_reserved_location_does_not_eat_into_another_locations_stock() -> None:
    result = channel_atp(web(["S1", "S2"]), [pos("S1", 2, 7), pos("S2", 6)], FOUR_STORES)
    assert result.atp == 6


def test_a_network_naming_an_unknown_location_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown locations"):
        channel_atp(web(["S1", "NOWHERE"]), [], FOUR_STORES)


def test_two_positions_for_the_same_sku_and_location_are_refused() -> None:
    with pytest.raises(ValueError, match="two positions"):
        channel_atp(web(["S1"]), [pos("S1", 4), pos("S1", 5)], FOUR_STORES)


# Channel buffer ---------------------------------------------------------------------------------

TWO = [pos("S1", 30), pos("S2", 30)]


def test_a_percentage_buffer_is_of_the_on_hand_of_the_locations_that_count() -> None:
    # given S2 closed and S3 kept out of the channel: only S1's 30 on hand counts
    locations = [store("S1"), store("S2", is_open=False), store("S3")]
    channel = web(["S1", "S2", "S3"], buffer=SafetyQuantity(percent=10))
    keep_out = [Exclusion(id="X-S3", channel="web-fr", location_id="S3")]
    result = channel_atp(channel, [*TWO, pos("S3", 30)], locations, exclusions=keep_out)
    assert (result.terms.counted_on_hand, result.terms.buffer, result.atp) == (30, 3, 27)


def test_a_channel_wide_rule_holds_back_from_the_sum() -> None:
    rules = [rule("C-ALL", "channel", qty=7, channel="web-fr")]
    result = channel_atp(web(["S1", "S2"]), TWO, FOUR_STORES, rules)
    assert (result.atp, result.terms.buffer_rule) == (53, "C-ALL")


def test_a_channel_category_rule_beats_the_channel_wide_one() -> None:
    rules = [
        rule("C-ALL", "channel", qty=7, channel="web-fr"),
        rule("C-APPAREL", "channel", qty=2, channel="web-fr", category="apparel"),
    ]
    result = channel_atp(
        web(["S1", "S2"], buffer=SafetyQuantity(quantity=9)), TWO, FOUR_STORES, rules
    )
    assert (result.atp, result.terms.buffer_rule) == (58, "C-APPAREL")


def test_a_channel_sku_rule_beats_the_channel_category_one() -> None:
    rules = [
        rule("C-APPAREL", "channel", qty=7, channel="web-fr", category="apparel"),
        rule("C-SHIRT", "channel", qty=1, channel="web-fr", sku=SHIRT.sku),
    ]
    result = channel_atp(web(["S1", "S2"]), TWO, FOUR_STORES, rules)
    assert (result.atp, result.terms.buffer_rule) == (59, "C-SHIRT")


def test_the_channels_own_buffer_and_a_channel_wide_rule_give_way_to_the_larger() -> None:
    rules = [rule("C-ALL", "channel", qty=7, channel="web-fr")]
    bigger = channel_atp(web(["S1"], buffer=SafetyQuantity(quantity=9)), TWO, FOUR_STORES, rules)
    smaller = channel_atp(web(["S1"], buffer=SafetyQuantity(quantity=3)), TWO, FOUR_STORES, rules)
    assert (bigger.atp, bigger.terms.buffer_rule) == (21, "channel-buffer:web-fr")
    assert (smaller.atp, smaller.terms.buffer_rule) == (23, "C-ALL")


def test_buffer_rules_for_another_channel_sku_or_category_do_not_apply() -> None:
    rules = [
        rule("OTHER-CHANNEL", "channel", qty=5, channel="app-fr"),
        rule("OTHER-SKU", "channel", qty=5, channel="web-fr", sku=BOOTS.sku),
        rule("OTHER-CATEGORY", "channel", qty=5, channel="web-fr", category="shoes"),
    ]
    result = channel_atp(web(["S1", "S2"]), TWO, FOUR_STORES, rules)
    assert (result.atp, result.terms.buffer, result.terms.buffer_rule) == (60, 0, None)


def test_a_buffer_larger_than_the_network_floors_the_channel_at_zero() -> None:
    result = channel_atp(web(["S1", "S2"], buffer=SafetyQuantity(quantity=500)), TWO, FOUR_STORES)
    assert result.atp == 0


# Exclusions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exclusion",
    [
        pytest.param(Exclusion(id="X", channel="web-fr", sku=SHIRT.sku), id="sku in channel"),
        pytest.param(Exclusion(id="X", market="FR", sku=SHIRT.sku), id="sku in market"),
        pytest.param(Exclusion(id="X", channel="web-fr", category="apparel"), id="cat in channel"),
        pytest.param(Exclusion(id="X", market="FR", category="apparel"), id="category in market"),
    ],
)
def test_a_product_not_sold_in_the_channel_or_its_market_promises_zero_and_says_why(
    exclusion: Exclusion,
) -> None:
    result = channel_atp(web(["S1", "S2"]), TWO, FOUR_STORES, exclusions=[exclusion])
    assert result.atp == 0
    assert result.terms.excluded_by == "X"
    assert result.terms.network_atp == 60  # what it would be, shown to explain the zero
    assert "not sold here (exclusion X)" in result.explain()


@pytest.mark.parametrize(
    "exclusion",
    [
        pytest.param(Exclusion(id="X", channel="app-fr", sku=SHIRT.sku), id="another channel"),
        pytest.param(Exclusion(id="X", market="DE", category="apparel"), id="another market"),
        pytest.param(Exclusion(id="X", channel="web-fr", sku=BOOTS.sku), id="another sku"),
        pytest.param(Exclusion(id="X", channel="web-fr", category="shoes"), id="another category"),
        pytest.param(
            Exclusion(id="X", channel="web-fr", market="DE", sku=SHIRT.sku),
            id="channel matches but market does not",
        ),
    ],
)
def test_an_exclusion_for_somewhere_or_something_else_changes_nothing(
    exclusion: Exclusion,
) -> None:
    result = channel_atp(web(["S1", "S2"]), TWO, FOUR_STORES, exclusions=[exclusion])
    assert (result.atp, result.terms.excluded_by) == (60, None)


def test_a_location_not_selling_into_the_channel_is_left_out_of_the_sum() -> None:
    exclusions = [Exclusion(id="X-S2", channel="web-fr", location_id="S2")]
    result = channel_atp(web(["S1", "S2"]), TWO, FOUR_STORES, exclusions=exclusions)
    assert result.atp == 30
    excluded = result.locations[1]
    assert (excluded.excluded_by, excluded.counted, excluded.location.atp) == ("X-S2", 0, 30)
    assert "S2: excluded by X-S2, counts 0" in result.explain()


def test_a_location_left_out_of_a_market_is_left_out_of_its_channels() -> None:
    exclusions = [Exclusion(id="X-S2", market="FR", location_id="S2")]
    assert channel_atp(web(["S1", "S2"]), TWO, FOUR_STORES, exclusions=exclusions).atp == 30
    assert (
        channel_atp(web(["S1", "S2"], market="BE"), TWO, FOUR_STORES, exclusions=exclusions).atp
        == 60
    )


def test_a_location_exclusion_narrowed_to_a_category_leaves_other_categories_alone() -> None:
    exclusions = [Exclusion(id="X", channel="web-fr", location_id="S2", category="shoes")]
    boots = [pos("S1", 30, sku=BOOTS.sku), pos("S2", 30, sku=BOOTS.sku)]
    channel = web(["S1", "S2"])
    assert channel_atp(channel, TWO, FOUR_STORES, exclusions=exclusions).atp == 60
    assert channel_atp(channel, boots, FOUR_STORES, exclusions=exclusions, product=BOOTS).atp == 30


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"sku": "A"}, id="neither channel nor market"),
        pytest.param({"channel": "web-fr"}, id="nothing excluded"),
        pytest.param({"channel": "web-fr", "sku": "A", "category": "x"}, id="sku and category"),
    ],
)
def test_an_exclusion_that_does_not_say_what_and_where_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Exclusion(id="X", **fields)


def test_the_explanation_names_every_term_rule_and_exclusion() -> None:
    rules = [rule("S-PARIS", "location", qty=2, location_id="S1")]
    exclusions = [Exclusion(id="X-S2", channel="web-fr", location_id="S2")]
    channel = web(["S1", "S2"], buffer=SafetyQuantity(quantity=3))
    result = channel_atp(channel, [pos("S1", 12, 4), pos("S2", 9)], FOUR_STORES, rules, exclusions)
    assert result.explain() == "\n".join(
        [
            "SHIRT-M in web-fr: 3 to promise",
            "  network 6 - buffer 3 (rule channel-buffer:web-fr)",
            "  S1: on hand 12 - reserved 4 - safety 2 (rule S-PARIS, location) = 6",
            "  S2: excluded by X-S2, counts 0",
        ]
    )


# Storefront events ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "current", "low", "event"),
    [
        pytest.param(5, 0, 3, StockEvent.OUT_OF_STOCK, id="sold out"),
        pytest.param(10, 0, 3, StockEvent.OUT_OF_STOCK, id="sold out past the low mark"),
        pytest.param(0, 8, 3, StockEvent.BACK_IN_STOCK, id="restocked"),
        pytest.param(0, 2, 3, StockEvent.BACK_IN_STOCK, id="restocked but low"),
        pytest.param(10, 3, 3, StockEvent.LOW_STOCK, id="down onto the low mark"),
        pytest.param(4, 1, 3, StockEvent.LOW_STOCK, id="down below the low mark"),
        pytest.param(3, 2, 3, None, id="already low"),
        pytest.param(2, 10, 3, None, id="back above low"),
        pytest.param(10, 4, 3, None, id="still above low"),
        pytest.param(0, 0, 3, None, id="still out"),
        pytest.param(10, 1, 0, None, id="low mark zero turns low events off"),
    ],
)
def test_a_storefront_hears_of_each_threshold_crossed_once(
    previous: int, current: int, low: int, event: StockEvent | None
) -> None:
    assert crossing(previous, current, low) == event


def test_crossing_events_read_as_the_storefront_vocabulary() -> None:
    assert crossing(1, 0, 0) == "out_of_stock"
    with pytest.raises(ValueError, match="low_stock"):
        crossing(1, 0, -1)


# Properties -------------------------------------------------------------------------------------

SKUS = [SHIRT.sku, BOOTS.sku]
CATEGORIES = ["apparel", "shoes"]
LOCS = ["L1", "L2", "L3", "L4"]
TYPES = ["warehouse", "store", "dropship", "dark_store"]
PRODUCTS = st.sampled_from([SHIRT, BOOTS])
CHANNEL_LEVELS = ["sku", "category", "wide"]

amounts = st.one_of(
    st.builds(lambda q: {"quantity": q}, st.integers(0, 60)),
    st.builds(lambda p: {"percent": p}, st.floats(0, 100, allow_nan=False)),
)


@st.composite
def position_rule(draw: st.DrawFn, scope: SafetyScope) -> SafetyRule:
    pick = {
        "sku": st.sampled_from(SKUS),
        "category": st.sampled_from(CATEGORIES),
        "location_id": st.sampled_from(LOCS),
        "vendor_id": st.sampled_from(["V1", "V2"]),
        "location_type": st.sampled_from(TYPES),
    }
    needs = {
        SafetyScope.SKU_AT_LOCATION: ["sku", "location_id"],
        SafetyScope.SKU: ["sku"],
        SafetyScope.CATEGORY: ["category"],
        SafetyScope.LOCATION: ["location_id"],
        SafetyScope.DROPSHIP_VENDOR: ["vendor_id"],
        SafetyScope.LOCATION_TYPE: ["location_type"],
    }[scope]
    fields = {name: draw(pick[name]) for name in needs}
    rule_id = draw(st.sampled_from(["R1", "R2", "R3", "R4"]))
    return SafetyRule(id=rule_id, scope=scope, **fields, **draw(amounts))


@st.composite
def channel_rule(draw: st.DrawFn, level: str) -> SafetyRule:
    narrow: dict[str, str] = {}
    if level == "sku":
        narrow["sku"] = draw(st.sampled_from(SKUS))
    elif level == "category":
        narrow["category"] = draw(st.sampled_from(CATEGORIES))
    channel = draw(st.sampled_from(["web-fr", "app-fr"]))
    rule_id = draw(st.sampled_from(["C1", "C2", "C3"]))
    return SafetyRule(id=rule_id, scope="channel", channel=channel, **narrow, **draw(amounts))


@st.composite
def location_info(draw: st.DrawFn, loc_id: str) -> LocationInfo:
    kind = draw(st.sampled_from(TYPES))
    vendor = draw(st.sampled_from(["V1", "V2"])) if kind == "dropship" else None
    return LocationInfo(
        id=loc_id, type=kind, vendor_id=vendor, country="FR", is_open=draw(st.booleans())
    )


@st.composite
def exclusion(draw: st.DrawFn) -> Exclusion:
    where = draw(st.sampled_from([{"channel": "web-fr"}, {"market": "FR"}, {"channel": "app-fr"}]))
    what = draw(st.sampled_from(["sku", "category", "location", "location+category"]))
    fields: dict[str, str] = {}
    if "location" in what:
        fields["location_id"] = draw(st.sampled_from(LOCS))
    if what == "sku":
        fields["sku"] = draw(st.sampled_from(SKUS))
    if "category" in what:
        fields["category"] = draw(st.sampled_from(CATEGORIES))
    return Exclusion(id=draw(st.sampled_from(["X1", "X2"])), **where, **fields)


def some_position_rules(min_level: int = 0) -> st.SearchStrategy[SafetyRule]:
    return st.sampled_from(POSITION_PRECEDENCE[min_level:]).flatmap(position_rule)


@st.composite
def world(draw: st.DrawFn) -> dict[str, Any]:
    product = draw(PRODUCTS)
    network = draw(st.lists(st.sampled_from(LOCS), max_size=4))
    return {
        "product": product,
        "locations": {loc: draw(location_info(loc)) for loc in LOCS},
        "positions": [
            Position(
                sku=product.sku,
                location_id=loc,
                on_hand=draw(st.integers(0, 200)),
                reserved=draw(st.integers(0, 250)),
            )
            for loc in LOCS
            if draw(st.booleans())
        ],
        "channel": Channel(
            id="web-fr",
            market="FR",
            network=network,
            buffer=draw(st.none() | amounts.map(lambda a: SafetyQuantity(**a))),
        ),
        "exclusions": draw(st.lists(exclusion(), max_size=3)),
    }


def run(w: dict[str, Any], rules: list[SafetyRule]) -> ChannelAtp:
    product: ProductInfo = w["product"]
    return atp_channel(
        product.sku, w["channel"], w["positions"], w["locations"], product, rules, w["exclusions"]
    )


@given(
    on_hand=st.integers(0, 500),
    reserved=st.integers(0, 600),
    location=location_info("L1"),
    product=PRODUCTS,
    rules=st.lists(some_position_rules(), max_size=6),
)
def test_location_atp_is_never_negative(
    on_hand: int,
    reserved: int,
    location: LocationInfo,
    product: ProductInfo,
    rules: list[SafetyRule],
) -> None:
    position = Position(sku=product.sku, location_id="L1", on_hand=on_hand, reserved=reserved)
    result = atp_location(position, location, product, rules)
    assert 0 <= result.atp <= max(0, on_hand - reserved)


@settings(max_examples=200)
@given(
    w=world(),
    rules=st.lists(
        some_position_rules() | st.sampled_from(CHANNEL_LEVELS).flatmap(channel_rule), max_size=6
    ),
)
def test_channel_atp_is_never_negative_nor_more_than_the_network_has_unreserved(
    w: dict[str, Any], rules: list[SafetyRule]
) -> None:
    result = run(w, rules)
    network = set(w["channel"].network)
    # Each location floors on its own, so the bound is the sum of each one's unreserved stock;
    # it is exactly on hand minus reserved over the network when no location is over-reserved.
    unreserved = sum(
        max(0, p.on_hand - p.reserved) for p in w["positions"] if p.location_id in network
    )
    assert 0 <= result.atp <= unreserved


@given(data=st.data(), location=location_info("L1"), product=PRODUCTS, on_hand=st.integers(0, 300))
def test_adding_a_rule_no_more_specific_than_those_in_force_never_raises_location_atp(
    data: st.DataObject, location: LocationInfo, product: ProductInfo, on_hand: int
) -> None:
    # A more specific rule overrides by design (a SKU rule of 0 exempts a SKU), so "never
    # raises" holds for a rule at the level of the least specific rule already there, or below.
    rules = data.draw(st.lists(some_position_rules(), max_size=5))
    floor = max((POSITION_PRECEDENCE.index(r.scope) for r in rules), default=0)
    added = data.draw(some_position_rules(floor))
    reserved = data.draw(st.integers(0, 300))
    position = Position(sku=product.sku, location_id="L1", on_hand=on_hand, reserved=reserved)
    before = atp_location(position, location, product, rules)
    after = atp_location(position, location, product, [*rules, added])
    assert after.atp <= before.atp


@settings(max_examples=200)
@given(data=st.data(), w=world())
def test_adding_a_rule_no_more_specific_than_those_in_force_never_raises_channel_atp(
    data: st.DataObject, w: dict[str, Any]
) -> None:
    location_rules = data.draw(st.lists(some_position_rules(), max_size=4))
    channel_rules = data.draw(
        st.lists(st.sampled_from(CHANNEL_LEVELS).flatmap(channel_rule), max_size=3)
    )
    rules = [*location_rules, *channel_rules]
    if data.draw(st.booleans()):
        floor = max((POSITION_PRECEDENCE.index(r.scope) for r in location_rules), default=0)
        added = data.draw(some_position_rules(floor))
    else:
        levels = [0 if r.sku else 1 if r.category else 2 for r in channel_rules]
        if w["channel"].buffer is not None:
            levels.append(2)  # the channel's own buffer sits with the channel-wide rules
        added = data.draw(
            st.sampled_from(CHANNEL_LEVELS[max(levels, default=0) :]).flatmap(channel_rule)
        )
    assert run(w, [*rules, added]).atp <= run(w, rules).atp


@given(w=world(), rules=st.lists(some_position_rules(), max_size=6))
def test_the_figures_only_path_gives_the_explained_figures(
    w: dict[str, Any], rules: list[SafetyRule]
) -> None:
    # Lookups without explain=true take a shorter path; it must never say something else.
    product: ProductInfo = w["product"]
    args = (product.sku, w["channel"], w["positions"], w["locations"], product, rules)
    explained = atp_channel(*args, w["exclusions"], detail=True)
    quick = atp_channel(*args, w["exclusions"], detail=False)
    assert (quick.atp, quick.by_location, quick.terms) == (
        explained.atp,
        explained.by_location,
        explained.terms,
    )
    assert {line.location_id: line.counted for line in explained.locations} == quick.by_location


def test_the_figures_only_path_takes_the_safer_of_two_rules_at_one_level() -> None:
    rules = [
        rule("A", "location_type", qty=2, location_type="store"),
        rule("B", "location_type", qty=5, location_type="store"),
    ]
    channel = web(["PARIS-1"])
    args = (SHIRT.sku, channel, [pos("PARIS-1", 10)], {"PARIS-1": store("PARIS-1")}, SHIRT, rules)
    assert atp_channel(*args, [], detail=False).atp == 5
    assert atp_channel(*args, [], detail=True).atp == 5


def test_a_product_kept_out_of_the_channel_counts_for_nothing_at_any_location() -> None:
    # Sourcing and fulfilment options read what each location counts for: an excluded
    # product must not be offered or sourced anywhere in the channel.
    exclusion = Exclusion(id="X", channel="web-fr", category="apparel")
    for detail in (False, True):
        result = atp_channel(
            SHIRT.sku,
            web(["S1", "S2"]),
            TWO,
            {loc.id: loc for loc in FOUR_STORES},
            SHIRT,
            [],
            [exclusion],
            detail=detail,
        )
        assert result.by_location == {"S1": 0, "S2": 0}
        assert all(line.counted == 0 for line in result.locations)
