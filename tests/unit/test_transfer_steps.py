"""A transfer's steps: the source's for a shipment, the store's receipt, the store's
collection, each with the deadline its own profile gives it."""

from __future__ import annotations

from datetime import timedelta

from oms.domain.fulfilment_profiles import DEFAULT_PROFILE, FulfilmentProfile, StepType
from oms.domain.fulfilment_steps import transfer_steps

WAREHOUSE = FulfilmentProfile.model_validate(
    {
        "id": "warehouse",
        "applies_to": {"delivery_method": "ship"},
        "steps": [
            {"type": "pick", "deadline": {"due": "PT4H"}},
            {"type": "pack"},
            {"type": "label"},
            {"type": "handover"},
        ],
    }
)
STORE = FulfilmentProfile.model_validate(
    {
        "id": "store",
        "applies_to": {"delivery_method": "collect"},
        "steps": [
            {"type": "pick", "mode": "scan_each"},
            {"type": "vas", "services": ["gift_wrap"]},
            {"type": "ready_for_collection", "deadline": {"due": "PT1H"}},
            {"type": "collected"},
        ],
    }
)


def test_a_transfer_ships_as_its_source_works_and_is_collected_as_the_store_works() -> None:
    steps = transfer_steps(WAREHOUSE, STORE)

    assert [s.type for s in steps] == [
        StepType.PICK,
        StepType.PACK,
        StepType.LABEL,
        StepType.HANDOVER,
        StepType.RECEIVE,
        StepType.READY_FOR_COLLECTION,
        StepType.COLLECTED,
    ]
    assert steps[0].deadline.due == timedelta(hours=4)  # the warehouse's pick
    assert steps[5].deadline.due == timedelta(hours=1)  # the store's shelf


def test_with_built_in_profiles_a_transfer_is_picked_packed_received_and_collected() -> None:
    steps = transfer_steps(DEFAULT_PROFILE, DEFAULT_PROFILE)

    assert [s.key for s in steps] == [
        "pick",
        "pack",
        "receive",
        "ready_for_collection",
        "collected",
    ]
