"""Picking in waves: which open fulfilments a wave takes and the pick lines a picker walks.

A wave gathers a location's fulfilments that wait for a pick, most urgent first (express,
then the earliest pick deadline, then the fulfilment id), up to a number of fulfilments and,
if given, of units. Its strategy lays out the pick lines: ``by_item`` one line per SKU with the
total quantity, ``by_category`` the same grouped by product category, ``by_zone`` grouped by
the zone the product sits in at this location and sorted in walking order (walk order, then
bin), ``per_order`` one group per fulfilment. Pure: no database, no Temporal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

# One vocabulary for a profile's waves setting and for the waves built from it.
from oms.domain.fulfilment_profiles import WaveStrategy as WaveStrategy

# Lines of products without a place at the location come after every placed one.
UNPLACED = "unplaced"


class WaveStatus(StrEnum):
    """``open``: built, nobody picks it yet; ``claimed``: one picker works it; ``sorted``: what
    was picked went to the fulfilments, which are picked (the wave is over)."""

    OPEN = "open"
    CLAIMED = "claimed"
    SORTED = "sorted"


class CandidateLine(BaseModel):
    line_id: str
    sku: str
    quantity: int


class Candidate(BaseModel):
    """A fulfilment waiting for its pick, with what tells how urgent it is."""

    fulfilment_id: str
    express: bool = False
    pick_due_at: datetime | None = None
    lines: list[CandidateLine]

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


def priority(c: Candidate) -> tuple[bool, bool, datetime | None, str]:
    """The declared rule, for building and for sharing out what is short: express first,
    then the earliest pick deadline (none: last), then the fulfilment id."""
    return (not c.express, c.pick_due_at is None, c.pick_due_at, c.fulfilment_id)


def choose(
    candidates: Iterable[Candidate], *, max_fulfilments: int, max_units: int | None = None
) -> list[Candidate]:
    """The most urgent fulfilments, in priority order, up to ``max_fulfilments`` and, when
    given, ``max_units``. A fulfilment that would pass the unit limit is left for a later
    wave, and a smaller one after it may still fit; the first one always goes, however big,
    so that no fulfilment is too large to ever be picked."""
    chosen: list[Candidate] = []
    units = 0
    for c in sorted(candidates, key=priority):
        if len(chosen) >= max_fulfilments:
            break
        if max_units is not None and chosen and units + c.units > max_units:
            continue
        chosen.append(c)
        units += c.units
    return chosen


class ProductPlace(BaseModel):
    """A product as a picker finds it at one location; bin, zone and walk order unset when
    the integration never placed it there."""

    sku: str
    category: str | None = None
    bin: str | None = None
    zone: str | None = None
    walk_order: int | None = None


class WaveLine(BaseModel):
    """One stop of the picker: a SKU and how many, in a group (zone, category or fulfilment)."""

    seq: int
    group: str | None = None
    sku: str
    quantity: int
    bin: str | None = None
    zone: str | None = None
    walk_order: int | None = None
    fulfilment_id: str | None = Field(default=None, description="per_order waves only")


def _walk(place: ProductPlace) -> tuple[bool, int, str, str]:
    """Walking order: by walk order, then bin; unplaced products last, by SKU."""
    return (
        place.walk_order is None,
        place.walk_order or 0,
        place.bin or "",
        place.sku,
    )


def pick_lines(
    chosen: Sequence[Candidate], strategy: WaveStrategy, places: dict[str, ProductPlace]
) -> list[WaveLine]:
    """The wave's pick lines, numbered in the order the picker works them."""

    def place(sku: str) -> ProductPlace:
        return places.get(sku) or ProductPlace(sku=sku)

    if strategy is WaveStrategy.PER_ORDER:
        rows: list[tuple[str | None, ProductPlace, int, str | None]] = []
        for c in chosen:
            per_sku = _totals(c.lines)
            for sku in sorted(per_sku, key=lambda s: _walk(place(s))):
                rows.append((c.fulfilment_id, place(sku), per_sku[sku], c.fulfilment_id))
        return _numbered(rows)

    totals = _totals(line for c in chosen for line in c.lines)
    if strategy is WaveStrategy.BY_ITEM:
        ordered = sorted(totals)
        rows = [(None, place(sku), totals[sku], None) for sku in ordered]
    elif strategy is WaveStrategy.BY_CATEGORY:
        ordered = sorted(totals, key=lambda s: (place(s).category or UNPLACED, s))
        rows = [(place(s).category or UNPLACED, place(s), totals[s], None) for s in ordered]
    else:  # by zone: the walk decides, zones come as the walk meets them
        ordered = sorted(totals, key=lambda s: _walk(place(s)))
        by_zone: dict[str, list[str]] = defaultdict(list)
        for sku in ordered:
            by_zone[place(sku).zone or UNPLACED].append(sku)
        rows = [
            (zone, place(sku), totals[sku], None) for zone, skus in by_zone.items() for sku in skus
        ]
    return _numbered(rows)


def _totals(lines: Iterable[CandidateLine]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        totals[line.sku] += line.quantity
    return dict(totals)


def _numbered(rows: Sequence[tuple[str | None, ProductPlace, int, str | None]]) -> list[WaveLine]:
    return [
        WaveLine(
            seq=i,
            group=group,
            sku=p.sku,
            quantity=qty,
            bin=p.bin,
            zone=p.zone,
            walk_order=p.walk_order,
            fulfilment_id=fid,
        )
        for i, (group, p, qty, fid) in enumerate(rows, start=1)
    ]
