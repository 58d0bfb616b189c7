"""The reservation ledger's vocabulary: where one entry (order, line, SKU, location, quantity)
stands. ``reserved`` on a position is the sum of its entries that are live."""

from __future__ import annotations

from enum import StrEnum


class ReservationStatus(StrEnum):
    HELD = "held"  # taken by sourcing or a cart hold
    COMMITTED = "committed"  # picked
    RELEASED = "released"  # let go: cancelled, short-picked, a hold that ended
    CONSUMED = "consumed"  # shipped or collected: the units left on hand


LIVE = (ReservationStatus.HELD, ReservationStatus.COMMITTED)
