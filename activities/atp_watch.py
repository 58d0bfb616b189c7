"""The ATP watcher's step: read what changed since the cursor, record each channel's new
figures, emit the crossings. Bounded per call and heartbeating, so a bulk sync of a million
positions is worked through in many short calls, each resuming where the last one stopped."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity

from oms.contracts.atp_watch import WatchRequest, WatchResult
from oms.db import atp_watch, availability
from oms.db.engine import Database
from oms.db.tables import utcnow
from oms.domain.stock_events import WatchCursor, changes
from oms.logging import get_logger
from oms.services.availability import channel_figures

log = get_logger(__name__)

# Positions read per query, and SKUs per ATP computation (a lookup reads up to the API's 500).
PAGE_ROWS = 2000
SKU_BATCH = 500
# A page may repeat SKUs already handled (one SKU at many locations): bound the reads too.
MAX_PAGES_PER_CALL = 50


class AtpWatchActivities:
    def __init__(self, db: Database) -> None:
        self.db = db

    @activity.defn
    def watch_atp(self, req: WatchRequest) -> WatchResult:
        details = activity.info().heartbeat_details
        cursor = WatchCursor.model_validate(details[0]) if details else req.cursor
        overlap = timedelta(seconds=req.overlap_s)
        done: set[str] = set()
        events = 0
        caught_up = False
        for _ in range(MAX_PAGES_PER_CALL):
            cursor = cursor.reading(utcnow())
            with self.db.session() as s:
                page = atp_watch.changed(s, cursor, PAGE_ROWS)
                channels = atp_watch.channel_ids(s)
            budget = req.max_skus - len(done)
            fresh = list(dict.fromkeys(p.sku for p in page if p.sku not in done))[:budget]
            for first in range(0, len(fresh), SKU_BATCH):
                events += self._compare(fresh[first : first + SKU_BATCH], channels)
                activity.heartbeat(cursor.model_dump(mode="json"))
            done.update(fresh)
            # Up to the first row of a SKU left for the next call (the budget ran out there).
            cut = next((i for i, p in enumerate(page) if p.sku not in done), len(page))
            if cut:
                cursor = cursor.advanced(page[cut - 1])
                activity.heartbeat(cursor.model_dump(mode="json"))
            if cut == len(page) < PAGE_ROWS:
                cursor, caught_up = cursor.next_pass(overlap), True
                break
            if len(done) >= req.max_skus:
                break
        result = WatchResult(cursor=cursor, skus=len(done), events=events, caught_up=caught_up)
        if events or not result.caught_up:
            log.info(
                "atp_watched",
                skus=result.skus,
                events=events,
                caught_up=result.caught_up,
                since=str(result.cursor.since),
            )
        return result

    def _compare(self, skus: list[str], channels: list[str]) -> int:
        """Each channel's figures of the SKUs against the ones last recorded, in one
        transaction: the new ones recorded, each crossing an outbox event. Events emitted."""
        emitted = 0
        with self.db.session() as s:
            now = utcnow()
            for channel_id in channels:
                try:
                    setup = availability.load_channel(s, channel_id)
                except availability.UnknownChannel:
                    continue
                # Locked before the new figures are read (see recorded_figures).
                rows = atp_watch.recorded_figures(s, channel_id, skus)
                figures = channel_figures(s, setup, skus)
                before = {sku: (r.atp, atp_watch.as_utc(r.updated_at)) for sku, r in rows.items()}
                found = changes(channel_id, setup.low_stock, skus, before, figures)
                emitted += len(atp_watch.store(s, channel_id, found, rows, now))
        return emitted
