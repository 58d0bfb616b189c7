"""What an order's captures have left to refund, and how one refund is split over them.

A refund (a return's, an appeasement's) is paid from the order's captures, oldest first, each
up to what it took less what other refunds gave back or claimed of it: its room. What the
captures have left in all is what the order may still refund. Pure: ``oms.db.refund_claims``
gathers the captures and what was used of each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CaptureRoom:
    """One capture of the order and what is left of it to refund (``room``)."""

    capture_id: str
    authorization_id: str
    currency: str
    room: int


@dataclass(frozen=True)
class RefundPart:
    """What one refund takes of one capture: a refund of its own at the gateway."""

    capture_id: str
    authorization_id: str
    amount: int
    currency: str


def refundable(rooms: Sequence[CaptureRoom]) -> int:
    """What the order may still refund: every capture's room."""
    return sum(max(r.room, 0) for r in rooms)


def split(rooms: Sequence[CaptureRoom], amount: int) -> list[RefundPart]:
    """``amount`` over the captures in their order, each up to its room; less than asked when
    the captures have less left."""
    parts: list[RefundPart] = []
    left = amount
    for r in rooms:
        if left <= 0:
            break
        take = min(r.room, left)
        if take > 0:
            parts.append(RefundPart(r.capture_id, r.authorization_id, take, r.currency))
            left -= take
    return parts
