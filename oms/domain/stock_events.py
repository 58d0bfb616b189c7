"""Storefront stock events: when a SKU's channel ATP crosses zero or the channel's low-stock
threshold. Which crossing is ``oms.domain.availability.crossing``; this module says when a
figure is news at all, how an event is named and keyed, and where the watcher has got to.

A SKU seen in a channel for the first time is a baseline, recorded without an event whatever
its figure: storefronts learn starting figures from ``GET /availability``, and announcing every
SKU a network does not stock as out of stock in every other channel would drown the feed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from oms.domain.availability import ChannelAtp, StockEvent, crossing
from oms.keys import stock_event_id

EVENT_TYPES = {kind: f"inventory.{kind.value}" for kind in StockEvent}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def assess(previous: int | None, current: int, low_stock: int) -> StockEvent | None:
    """The event a new figure makes, if any; ``previous=None``: first sight, no event."""
    if previous is None:
        return None
    return crossing(previous, current, low_stock)


def event_id(channel_id: str, sku: str, kind: StockEvent, atp: int, since: datetime) -> str:
    """The idempotency key of one crossing. ``since`` is when the previous figure was
    recorded: the same transition read twice (a retried or repeated watch) has the same key,
    while a later crossing of the same kind and figure starts from a later record."""
    micros = (since - _EPOCH) // timedelta(microseconds=1)
    return stock_event_id(channel_id, sku, kind.value, atp, micros)


class StockEventPayload(BaseModel):
    channel: str
    sku: str
    previous_atp: int
    atp: int
    low_stock: int


class FigureChange(BaseModel):
    """A SKU's channel figure that moved since it was recorded (or was never recorded), and
    the event it makes, if any."""

    sku: str
    atp: int
    first_sight: bool
    event_id: str | None = None
    event_type: str | None = None
    payload: StockEventPayload | None = None


def changes(
    channel_id: str,
    low_stock: int,
    skus: Sequence[str],
    recorded: Mapping[str, tuple[int, datetime]],
    figures: Mapping[str, ChannelAtp | None],
) -> list[FigureChange]:
    """What to record of each SKU's new figure in the channel, given the last one recorded
    (figure, when): nothing for a SKU not in the catalogue or whose figure did not move, a
    baseline without an event on first sight, else the new figure and its crossing, if any."""
    out: list[FigureChange] = []
    for sku in skus:
        figure = figures.get(sku)
        if figure is None:
            continue
        before = recorded.get(sku)
        if before is None:
            out.append(FigureChange(sku=sku, atp=figure.atp, first_sight=True))
            continue
        previous, since = before
        if previous == figure.atp:
            continue
        change = FigureChange(sku=sku, atp=figure.atp, first_sight=False)
        kind = assess(previous, figure.atp, low_stock)
        if kind is not None:
            change.event_id = event_id(channel_id, sku, kind, figure.atp, since)
            change.event_type = EVENT_TYPES[kind]
            change.payload = StockEventPayload(
                channel=channel_id,
                sku=sku,
                previous_atp=previous,
                atp=figure.atp,
                low_stock=low_stock,
            )
        out.append(change)
    return out


class PositionKey(BaseModel):
    """A position's place in the watcher's scan: by update time, then SKU and location."""

    updated_at: datetime
    sku: str
    location_id: str


class WatchCursor(BaseModel):
    """Where the ATP watcher is.

    A pass reads every position updated at or after ``since`` (all of them when None), in
    ``PositionKey`` order; ``after`` is the last one handled in this pass and ``started`` when
    the pass began reading. The next pass starts ``overlap`` before ``started``: a transaction
    stamps its rows before it commits, so a row stamped up to ``overlap`` before a read may not
    have been visible to it. Anchored on the read, not on the latest change seen, a quiet
    watcher stops re-reading the tail of a past burst after one pass.
    """

    since: datetime | None = None
    after: PositionKey | None = None
    started: datetime | None = None

    def reading(self, now: datetime) -> WatchCursor:
        """The cursor about to read at ``now``: a pass's first read stamps its start."""
        return self if self.started is not None else self.model_copy(update={"started": now})

    def advanced(self, last: PositionKey) -> WatchCursor:
        return self.model_copy(update={"after": last})

    def next_pass(self, overlap: timedelta) -> WatchCursor:
        if self.started is None:
            return WatchCursor(since=self.since)
        since = self.started - overlap
        return WatchCursor(since=since if self.since is None else max(self.since, since))
