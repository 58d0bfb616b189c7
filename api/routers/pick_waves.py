"""Picking in waves (store staff): build a wave of the location's open fulfilments, claim
it, report what was picked per SKU, then sort it to the fulfilments, which completes their
pick. A store key sees only its own location's waves; another's answer 404.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from starlette.concurrency import run_in_threadpool

from api.deps import ClientDep, DbDep, Principal, require
from api.errors import ApiError, error_responses
from api.fulfilment_updates import reason_effects, send_pick
from api.pick_wave_views import (
    DEFAULT_WAVE_SIZE,
    ClaimBody,
    PicksBody,
    WaveCreate,
    WaveList,
    WavePublic,
    WaveSummary,
)
from api.views import MAX_OFFSET
from oms.db import fulfilment_profiles
from oms.db import waves as wave_repo
from oms.db.engine import Database
from oms.db.tables import Location, PickWave, utcnow
from oms.domain.errors import ErrorCode
from oms.domain.fulfilment import PickedLine
from oms.domain.waves import WaveStatus, WaveStrategy
from oms.logging import get_logger
from oms.services import pick_waves

log = get_logger(__name__)
router = APIRouter(tags=["pick waves"])

Staff = Annotated[Principal, Depends(require("store"))]
# A build that met a concurrent one taking the same fulfilments tries again this often.
BUILD_ATTEMPTS = 3
# Pick updates a sort sends at once.
SORT_CONCURRENCY = 8


def _location(db: Database, principal: Principal, location_id: str) -> None:
    with db.reading() as s:
        if not principal.sees_location(location_id) or s.get(Location, location_id) is None:
            raise ApiError(
                ErrorCode.LOCATION_NOT_FOUND,
                f"no location {location_id} for this key",
                "location_id",
            )


def _visible(principal: Principal, wave: PickWave | None, wave_id: str) -> PickWave:
    if wave is None or not principal.sees_location(wave.location_id):
        raise ApiError(ErrorCode.WAVE_NOT_FOUND, f"no pick wave {wave_id}", "wave_id")
    return wave


def _answer(db: Database, wave_id: str) -> WavePublic:
    with db.reading() as s:
        wave = wave_repo.get(s, wave_id)
        assert wave is not None
        lines = wave_repo.lines_of(s, wave_id)
        return WavePublic.full(wave, lines, pick_waves.member_ids(s, wave_id))


def _settings(db: Database, location_id: str, body: WaveCreate) -> tuple[WaveStrategy, int]:
    """The wave's strategy and size: the request's, else the ``waves`` setting of the pick
    step of the location's profile; without a strategy from either, 422."""
    setting = None
    if body.strategy is None or body.max_fulfilments is None:
        with db.reading() as s:
            setting = fulfilment_profiles.wave_setting(s, location_id)
    # The profile's vocabulary has the same values as the waves' (oms.domain.waves).
    strategy = body.strategy or (WaveStrategy(setting.strategy.value) if setting else None)
    if strategy is None:
        raise ApiError(
            ErrorCode.WAVE_STRATEGY_REQUIRED,
            f"no strategy given, and the profile in force at {location_id} does not pick in "
            "waves: send one (by_item, by_category, by_zone, per_order)",
            "strategy",
        )
    size = body.max_fulfilments or (setting.max_size if setting else DEFAULT_WAVE_SIZE)
    return strategy, size


def _build(db: Database, principal: Principal, location_id: str, body: WaveCreate) -> str:
    _location(db, principal, location_id)
    strategy, size = _settings(db, location_id, body)
    for _ in range(BUILD_ATTEMPTS):
        try:
            with db.session() as s:
                wave, _lines = pick_waves.build(
                    s,
                    location_id=location_id,
                    strategy=strategy,
                    max_fulfilments=size,
                    max_units=body.max_units,
                    actor=principal.actor,
                    token=uuid.uuid4().hex[:12],
                    now=utcnow(),
                )
            log.info(
                "pick_wave_built",
                wave_id=wave.id,
                location_id=location_id,
                strategy=strategy.value,
                fulfilments=wave.fulfilment_count,
            )
            return wave.id
        except pick_waves.NothingToPick:
            break
        except wave_repo.WaveTaken:
            continue
    raise ApiError(
        ErrorCode.NOTHING_TO_PICK,
        f"no fulfilment at {location_id} waits for a pick outside a wave",
        "location_id",
    )


@router.post(
    "/locations/{location_id}/pick-waves",
    status_code=201,
    response_model=WavePublic,
    responses=error_responses(
        ErrorCode.LOCATION_NOT_FOUND, ErrorCode.NOTHING_TO_PICK, ErrorCode.WAVE_STRATEGY_REQUIRED
    ),
)
def build_wave(
    location_id: str, body: WaveCreate, response: Response, principal: Staff, db: DbDep
) -> Any:
    """A wave of the location's most urgent fulfilments waiting for a pick and in no other
    open wave: express first, then the earliest pick deadline, up to `max_fulfilments` (and
    `max_units`); `strategy` lays out the pick lines. Either left out comes from the `waves`
    setting of the pick step of the location's profile (`strategy`, `max_size`); without a
    strategy from either, `422 wave_strategy_required`."""
    wave_id = _build(db, principal, location_id, body)
    response.headers["Location"] = f"/pick-waves/{wave_id}"
    return _answer(db, wave_id)


@router.get(
    "/locations/{location_id}/pick-waves",
    response_model=WaveList,
    responses=error_responses(ErrorCode.LOCATION_NOT_FOUND),
)
def list_waves(
    location_id: str,
    principal: Staff,
    db: DbDep,
    status: WaveStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    """The location's waves, oldest first (those to pick with status=open)."""
    _location(db, principal, location_id)
    with db.reading() as s:
        rows = wave_repo.for_location(s, location_id, status=status, limit=limit, offset=offset)
        return WaveList(items=[WaveSummary.of(w) for w in rows])


@router.get(
    "/pick-waves/{wave_id}",
    response_model=WavePublic,
    responses=error_responses(ErrorCode.WAVE_NOT_FOUND),
)
def get_wave(wave_id: str, principal: Staff, db: DbDep) -> Any:
    with db.reading() as s:
        _visible(principal, wave_repo.get(s, wave_id), wave_id)
    return _answer(db, wave_id)


@router.post(
    "/pick-waves/{wave_id}/claim",
    response_model=WavePublic,
    responses=error_responses(
        ErrorCode.WAVE_NOT_FOUND, ErrorCode.WAVE_CLAIMED, ErrorCode.INVALID_STATE
    ),
)
def claim_wave(wave_id: str, body: ClaimBody, principal: Staff, db: DbDep) -> Any:
    """One picker takes the wave; another's claim is `409 wave_claimed` (the same picker's
    again is answered as the first)."""
    with db.session() as s:
        wave = _visible(principal, wave_repo.get(s, wave_id), wave_id)
        if not wave_repo.claim(s, wave_id, body.picker, utcnow()):
            s.refresh(wave)
            if WaveStatus(wave.status) is WaveStatus.SORTED:
                raise ApiError(ErrorCode.INVALID_STATE, f"wave {wave_id} is sorted already")
            if wave.picker != body.picker:
                raise ApiError(ErrorCode.WAVE_CLAIMED, f"wave {wave_id} is picked by {wave.picker}")
    log.info("pick_wave_claimed", wave_id=wave_id, picker=body.picker)
    return _answer(db, wave_id)


def _claimed(wave: PickWave, action: str) -> None:
    if WaveStatus(wave.status) is not WaveStatus.CLAIMED:
        raise ApiError(
            ErrorCode.INVALID_STATE,
            f"cannot {action} a wave that is {wave.status}: it must be claimed first"
            if wave.status == WaveStatus.OPEN
            else f"cannot {action} a wave that is {wave.status}",
        )


@router.post(
    "/pick-waves/{wave_id}/picks",
    response_model=WavePublic,
    responses=error_responses(
        ErrorCode.WAVE_NOT_FOUND,
        ErrorCode.INVALID_STATE,
        ErrorCode.WRONG_ITEM,
        ErrorCode.UNKNOWN_BARCODE,
        ErrorCode.UNKNOWN_LINE,
        ErrorCode.PICK_EXCEEDS_REQUESTED,
    ),
)
def report_picks(wave_id: str, body: PicksBody, principal: Staff, db: DbDep) -> Any:
    """What was picked, per SKU: `count` (the units in hand, replacing the SKU's earlier
    figure) or `barcodes` (one unit per scan, added). A barcode of another product is
    `422 wrong_item` and counts nothing; `short_reason` is the reason the sort gives the
    SKU's short lines (`not_found` if none), a code for short picks (`GET
    /reason-codes?usage=short_pick`)."""
    reason_effects(
        db,
        [
            (f"lines[{i}].short_reason", line.short_reason)
            for i, line in enumerate(body.lines)
            if line.short_reason is not None
        ],
    )
    with db.session() as s:
        wave = _visible(principal, wave_repo.get(s, wave_id, for_update=True), wave_id)
        _claimed(wave, "report picks on")
        errors = pick_waves.report(s, wave, body.lines)
        if errors:
            raise ApiError.invalid(errors)
    return _answer(db, wave_id)


def _plan(db: Database, principal: Principal, wave_id: str) -> pick_waves.SortPlan:
    with db.reading() as s:
        wave = _visible(principal, wave_repo.get(s, wave_id), wave_id)
        _claimed(wave, "sort")
        return pick_waves.plan_sort(s, wave)


def _record(db: Database, wave_id: str, outcomes: dict[str, Any]) -> None:
    with db.session() as s:
        wave = wave_repo.get(s, wave_id, for_update=True)
        assert wave is not None
        merged = pick_waves.merge_outcomes(wave.outcomes, outcomes)
        done = set(merged) >= set(pick_waves.member_ids(s, wave_id))
        wave_repo.save_outcomes(s, wave, merged, done)
        if done:
            refused = [fid for fid, o in merged.items() if "code" in o]
            wave_repo.release(s, wave_id, refused)


@router.post(
    "/pick-waves/{wave_id}/sort",
    response_model=WavePublic,
    responses=error_responses(ErrorCode.WAVE_NOT_FOUND, ErrorCode.INVALID_STATE),
)
async def sort_wave(wave_id: str, principal: Staff, db: DbDep, client: ClientDep) -> Any:
    """Give what was picked to the wave's fulfilments and complete each one's pick. Each
    SKU's units go to the most urgent first (express, then the earliest pick deadline, then
    the fulfilment id); what is short is short with the SKU's declared reason and re-sourced
    by its order. A fulfilment cancelled meanwhile gets nothing. Cut short (`503`), the same
    call carries on where it stopped."""
    plan = await run_in_threadpool(_plan, db, principal, wave_id)
    codes = {line.short_reason for _, lines in plan.reports for line in lines if line.short_reason}
    effects = await run_in_threadpool(
        reason_effects, db, [("short_reason", code) for code in sorted(codes)]
    )
    outcomes: dict[str, Any] = {
        fid: {"status": status.value, "given": {}} for fid, status in plan.gone.items()
    }
    gate = asyncio.Semaphore(SORT_CONCURRENCY)

    async def one(workflow_id: str, fid: str, lines: list[PickedLine]) -> None:
        async with gate:
            try:
                view = await send_pick(client, workflow_id, lines, principal.actor, effects)
            except ApiError as err:
                if err.code is ErrorCode.UNAVAILABLE:
                    raise
                outcomes[fid] = {"code": err.code.value, "reason": err.reason, "given": {}}
                return
        given: dict[str, int] = {}
        for line in view.lines:
            given[line.sku] = given.get(line.sku, 0) + (line.picked or 0)
        outcomes[fid] = {"status": view.status.value, "given": given}

    sent = await asyncio.gather(
        *(one(row.workflow_id, row.id, lines) for row, lines in plan.reports),
        return_exceptions=True,
    )
    # What was done is kept even when Temporal went away half-way: the retry skips it.
    await run_in_threadpool(_record, db, wave_id, outcomes)
    for failure in sent:
        if isinstance(failure, BaseException):
            raise failure
    log.info("pick_wave_sorted", wave_id=wave_id, fulfilments=len(outcomes))
    return await run_in_threadpool(_answer, db, wave_id)
