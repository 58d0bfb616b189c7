"""The retailers' fulfilment profiles in docs/: valid, saying what the page says they do, and
shown on the page exactly as the files hold them (so the docs cannot drift from the code)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from oms.db.fulfilment_profiles import validate
from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment_profiles import (
    FulfilmentProfile,
    PickMode,
    Service,
    StepType,
    WaveStrategy,
    select,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = DOCS / "fulfilment.md"
EXAMPLES = sorted((DOCS / "examples").glob("fulfilment-profile-*.json"))


def example(name: str) -> FulfilmentProfile:
    return validate(json.loads((DOCS / "examples" / f"fulfilment-profile-{name}.json").read_text()))


def json_blocks() -> list[Any]:
    return [json.loads(b) for b in re.findall(r"```json\n(.*?)```", PAGE.read_text(), re.S)]


def kinds(profile: FulfilmentProfile, method: DeliveryMethod) -> list[StepType]:
    return [s.type for s in profile.steps_for(method)]


def test_the_boutique_scans_each_unit_verifies_and_gift_wraps() -> None:
    boutique = example("boutique")

    pick = boutique.steps[0]
    assert pick.pick_mode is PickMode.SCAN_EACH
    assert pick.waves is None  # order by order
    assert StepType.VERIFY in kinds(boutique, DeliveryMethod.SHIP)
    assert Service.GIFT_WRAP in boutique.services
    assert kinds(boutique, DeliveryMethod.COLLECT)[-2:] == [
        StepType.READY_FOR_COLLECTION,
        StepType.COLLECTED,
    ]


def test_the_supermarket_picks_fast_in_waves_by_zone_and_never_verifies() -> None:
    supermarket, collect = example("supermarket"), example("supermarket-collect")

    for profile in (supermarket, collect):
        pick = profile.steps[0]
        assert pick.pick_mode is PickMode.FAST
        assert pick.waves is not None
        assert pick.waves.strategy is WaveStrategy.BY_ZONE
        assert StepType.VERIFY not in [s.type for s in profile.steps]

    def runs(method: DeliveryMethod) -> FulfilmentProfile:
        return select(
            [supermarket, collect],
            location_id="ST-1",
            location_type="store",
            channel="web-fr",
            method=method,
        )

    assert kinds(runs(DeliveryMethod.SHIP), DeliveryMethod.SHIP) == [
        StepType.PICK,
        StepType.PACK,
        StepType.HANDOVER,
    ]
    # Its click & collect skips packing: the more specific profile wins for collections.
    assert kinds(runs(DeliveryMethod.COLLECT), DeliveryMethod.COLLECT) == [
        StepType.PICK,
        StepType.READY_FOR_COLLECTION,
        StepType.COLLECTED,
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_page_shows_each_example_file_as_it_is(path: Path) -> None:
    assert json.loads(path.read_text()) in json_blocks()
    assert f"(examples/{path.name})" in PAGE.read_text()


def test_every_profile_on_the_page_is_valid() -> None:
    shown = [b for b in json_blocks() if "steps" in b]
    assert len(shown) == len(EXAMPLES) + 1  # the examples and the opening one
    for document in shown:
        validate(document)
