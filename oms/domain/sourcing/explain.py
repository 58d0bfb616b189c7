"""Why a sourcing decision came out as it did: a compact record, stored with the order.

Bounded whatever the network's size: the strategies tried (a profile has a handful), the
chosen locations and the best runners-up with their score per criterion (``TOP_CANDIDATES`` in
all), and the excluded locations counted per filter with the first ``EXCLUDED_IDS`` ids of each.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from oms.domain.geo import PointSource

TOP_CANDIDATES = 8
EXCLUDED_IDS = 10


class StrategyOutcome(StrEnum):
    CHOSEN = "chosen"
    CONDITIONS_NOT_MET = "conditions_not_met"
    COULD_NOT_FULFIL = "could_not_fulfil"


class SearchMethod(StrEnum):
    SINGLE = "single"  # one location has everything
    EXACT = "exact"  # the smallest set of locations, proven by the bounded search
    GREEDY = "greedy"  # the search ran out of budget or no set places everything
    NONE = "none"  # no location can give anything


class StrategyTrace(BaseModel):
    name: str
    outcome: StrategyOutcome
    reasons: list[str] = Field(default_factory=list)


class CandidateScore(BaseModel):
    location_id: str
    chosen: bool
    rank: int = Field(description="1 = the best location by the strategy's criteria")
    covers_units: int = Field(description="Units of the order it could give on its own")
    scores: dict[str, float | None] = Field(
        description="Criterion -> raw value (km, hours, fulfilments left, rate, minor units, "
        "share of stock left, position in the list); null: unlimited capacity"
    )


class ExcludedGroup(BaseModel):
    filter: str
    count: int
    location_ids: list[str] = Field(description=f"The first {EXCLUDED_IDS}, by id")


class TransferNote(BaseModel):
    """Lines of a collection sourced away from its store and transferred there."""

    from_location: str
    to_store: str
    line_ids: list[str]
    units: int
    reason: str = Field(description="In words: 'transfer_to_store from X to store Y'")


class DestinationNote(BaseModel):
    """The point distances were measured to, and where it came from."""

    lat: float
    lon: float
    source: PointSource | None = Field(
        description="coordinates: sent with the address; postal_area: the centre of its postal "
        "area; country: the centre of its country (a postal code that could not be placed); "
        "store: the collection's store a transfer goes to; null: not recorded"
    )
    area: str | None = Field(
        default=None,
        description="The postal area (FR-75) or the country (FR) whose centre it is; the store "
        "for store",
    )


class SourcingExplanation(BaseModel):
    profile: str = Field(description="Profile id and version as people read them: 'default@v1'")
    profile_id: str = Field(default="", description="The profile's id, stored as such")
    profile_version: int = Field(default=0, description="Its version, stored as such")
    strategy: str
    fallback: bool
    strategies: list[StrategyTrace]
    units: int = Field(description="Units the order asks for")
    method: SearchMethod
    nodes: int = Field(description="Sets of locations the search looked at")
    locations_considered: int
    locations_usable: int
    candidates: list[CandidateScore]
    excluded: list[ExcludedGroup]
    limited: list[ExcludedGroup] = Field(
        default_factory=list,
        description="Locations kept for some lines only: left out for the lines asking a "
        "service they do not perform (filter 'service_not_offered: gift_wrap')",
    )
    # Collections: whether the profile allows a transfer to the store, the transfers chosen,
    # and how the locations they come from were chosen (absent from decisions before them).
    transfer_to_store: bool = False
    transfers: list[TransferNote] = Field(default_factory=list)
    transfer_decision: SourcingExplanation | None = None
    # Where the distances were measured to (absent from decisions before it; null: no point).
    destination: DestinationNote | None = None
