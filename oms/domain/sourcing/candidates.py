"""The locations an order may be sourced from, built from what a lookup of availability read.
Pure; the activity (or a sourcing trial) reads the facts and hands them here."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from oms.domain.availability import ChannelAtp
from oms.domain.availability_lookup import ChannelSetup
from oms.domain.sourcing.models import Candidate


def candidates_from(
    setup: ChannelSetup,
    figures: Mapping[str, ChannelAtp | None],
    only: Collection[str] | None = None,
) -> list[Candidate]:
    """The channel's network, less the locations an exclusion keeps out, each location with
    what it may promise of each SKU under its safety rules. The channel buffer is not taken
    off: it caps what storefronts are told, and an order placed is sourced from what the
    locations hold. ``only`` restricts the locations (a collection store). A closed location
    stays, to be named in the plan's notes."""
    out = []
    for loc_id, info in setup.locations.items():
        if only is not None and loc_id not in only:
            continue
        available = {
            sku: atp.by_location[loc_id]
            for sku, atp in figures.items()
            if atp is not None and atp.by_location.get(loc_id, 0) > 0
        }
        if available or not info.is_open:
            out.append(
                Candidate(
                    location_id=loc_id,
                    type=info.type,
                    point=setup.points[loc_id],
                    is_open=info.is_open,
                    available=available,
                )
            )
    return out


def with_facts(
    candidates: list[Candidate], facts: Mapping[str, Mapping[str, Any]]
) -> list[Candidate]:
    """The candidates with what else sourcing knows of each location (networks, capacity,
    lead time, on hand, recent record)."""
    return [c.model_copy(update=dict(facts.get(c.location_id, {}))) for c in candidates]
