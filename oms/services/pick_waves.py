"""Building a pick wave, taking a picker's reports, and planning its sort.

The domain decides (``oms.domain.waves``, ``oms.domain.wave_picks``); this loads what it
needs and stores the outcome, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from oms.db import catalogue, waves
from oms.db.tables import Fulfilment, PickWave, PickWaveLine
from oms.domain.errors import FieldError
from oms.domain.fulfilment import FulfilmentStatus, PickedLine
from oms.domain.wave_picks import SkuPick, SkuReport, distribute, record_picks
from oms.domain.waves import (
    Candidate,
    CandidateLine,
    WaveLine,
    WaveStatus,
    WaveStrategy,
    choose,
    pick_lines,
    priority,
)
from oms.keys import pick_wave_id


class NothingToPick(Exception):
    """No fulfilment at the location waits for a pick outside a wave."""


def build(
    session: Session,
    *,
    location_id: str,
    strategy: WaveStrategy,
    max_fulfilments: int,
    max_units: int | None,
    actor: str,
    token: str,
    now: datetime,
) -> tuple[PickWave, list[WaveLine]]:
    """A wave of the location's most urgent open fulfilments, stored with its lines.

    Raises:
        NothingToPick: no fulfilment is waiting outside a wave.
        oms.db.waves.WaveTaken: a concurrent build took one of them first (retry).
    """
    read = max_fulfilments * (waves.UNIT_LIMIT_SLACK if max_units is not None else 1)
    found = waves.candidates(session, location_id, limit=read)
    chosen = choose(found, max_fulfilments=max_fulfilments, max_units=max_units)
    if not chosen:
        raise NothingToPick(location_id)
    skus = {line.sku for c in chosen for line in c.lines}
    lines = pick_lines(chosen, strategy, waves.places(session, location_id, sorted(skus)))
    wave = PickWave(
        id=pick_wave_id(location_id, token),
        location_id=location_id,
        strategy=strategy,
        status=WaveStatus.OPEN,
        max_fulfilments=max_fulfilments,
        max_units=max_units,
        fulfilment_count=len(chosen),
        unit_count=sum(c.units for c in chosen),
        created_by=actor,
        created_at=now,
    )
    waves.store(session, wave=wave, lines=lines, fulfilment_ids=[c.fulfilment_id for c in chosen])
    return wave, lines


def quantities(lines: Sequence[PickWaveLine]) -> dict[str, int]:
    """Units of each SKU the wave asks for."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return totals


def picks_of(wave: PickWave) -> dict[str, SkuPick]:
    return {sku: SkuPick.model_validate(p) for sku, p in wave.picks.items()}


def report(session: Session, wave: PickWave, reports: Sequence[SkuReport]) -> list[FieldError]:
    """Apply a picker's reports to the wave; every problem, and nothing applied, if any."""
    wanted = quantities(waves.lines_of(session, wave.id))
    scanned = [b for r in reports for b in r.barcodes or ()]
    barcode_skus = catalogue.skus_of_barcodes(session, scanned) if scanned else {}
    picks, errors = record_picks(wanted, picks_of(wave), reports, barcode_skus)
    if not errors:
        waves.save_picks(
            session, wave, {sku: p.model_dump(mode="json") for sku, p in picks.items()}
        )
    return errors


@dataclass(frozen=True)
class SortPlan:
    """Each still-waiting fulfilment's pick report (with its workflow), in priority order,
    and the wave's fulfilments that left the pick list meanwhile (cancelled), with status."""

    reports: list[tuple[Fulfilment, list[PickedLine]]]
    gone: dict[str, FulfilmentStatus]


def plan_sort(session: Session, wave: PickWave) -> SortPlan:
    """Share the picked units among the wave's fulfilments still waiting for their pick and
    not sorted yet (a sort cut short is taken up where it stopped)."""
    rows = [r for r in waves.members(session, wave.id) if r.id not in wave.outcomes]
    waiting = [r for r in rows if r.status == FulfilmentStatus.AWAITING_PICK]
    # What an earlier sort of this wave, cut short, already gave is not given twice: the
    # outcomes it recorded, and the picks it sent whose outcome it had no time to record
    # (a member picked since the wave was built). A member picked on its own, outside the
    # wave, counts the same: its units are left over rather than given twice.
    picked_since = _picked(r for r in rows if r.status != FulfilmentStatus.AWAITING_PICK)
    picks = {
        sku: SkuPick(
            picked=max(0, p.picked - _given(wave, sku) - picked_since.get(sku, 0)),
            short_reason=p.short_reason,
        )
        for sku, p in picks_of(wave).items()
    }
    by_id = {r.id: r for r in waiting}
    reports = distribute([_candidate(r) for r in waiting], picks)
    return SortPlan(
        reports=[(by_id[fid], lines) for fid, lines in reports.items()],
        gone={r.id: FulfilmentStatus(r.status) for r in rows if r.id not in by_id},
    )


def merge_outcomes(kept: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The sort's outcomes once ``new`` are added: an outcome, once written, stays, except a
    refusal, which a pick that went through replaces (two sorts of one wave at once: one
    picks a fulfilment, the other is refused because it is picked already)."""
    merged = dict(kept)
    for fid, outcome in new.items():
        if fid not in merged or ("code" in merged[fid] and "status" in outcome):
            merged[fid] = outcome
    return merged


def member_ids(session: Session, wave_id: str) -> list[str]:
    """The wave's fulfilments in the order the sort serves them."""
    return [
        c.fulfilment_id
        for c in sorted(map(_candidate, waves.members(session, wave_id)), key=priority)
    ]


def _given(wave: PickWave, sku: str) -> int:
    """Units of a SKU already given to fulfilments by an earlier sort of this wave."""
    return sum(int(o.get("given", {}).get(sku, 0)) for o in wave.outcomes.values())


def _picked(rows: Iterable[Fulfilment]) -> dict[str, int]:
    """Units picked per SKU, as the rows say."""
    units: dict[str, int] = {}
    for row in rows:
        for line in row.lines:
            units[line["sku"]] = units.get(line["sku"], 0) + int(line.get("picked") or 0)
    return units


def _candidate(row: Fulfilment) -> Candidate:
    return Candidate(
        fulfilment_id=row.id,
        express=row.express,
        pick_due_at=row.pick_due_at,
        lines=[
            CandidateLine(line_id=line["line_id"], sku=line["sku"], quantity=line["quantity"])
            for line in row.lines
        ],
    )
