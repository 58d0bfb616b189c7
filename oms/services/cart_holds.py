"""Placing a cart's hold: all or nothing, never beyond the channel's ATP."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from oms.db import availability, cart_holds, inventory
from oms.db.tables import CartHold
from oms.domain.cart_holds import HoldIn, HoldStatus, decide_hold, merged, same_lines
from oms.keys import cart_ledger_id
from oms.services.availability import channel_figures


def place(session: Session, *, cart_id: str, request: HoldIn, now: datetime) -> CartHold:
    """Hold the cart's lines until ``now + ttl``, replacing what the cart held before.

    The same lines in the same channel, still held, only move the deadline (the ledger is
    untouched). Anything else releases the old entries and takes the new ones in this
    transaction: all or nothing.

    Raises:
        oms.db.availability.UnknownChannel: no such channel.
        oms.domain.cart_holds.HoldRefused: unknown SKUs, or not enough stock.
    """
    row = cart_holds.get(session, cart_id, lock=True)
    expires_at = now + timedelta(seconds=request.ttl_seconds)
    held = cart_holds.held_lines(row) if row is not None else []
    live = row is not None and row.status == HoldStatus.HELD
    if (
        row is not None
        and live
        and row.channel == request.channel
        and same_lines(held, request.lines)
    ):
        cart_holds.set_deadline(session, row, expires_at, now)
        return row

    setup = availability.load_channel(session, request.channel)
    skus = list(merged(request.lines))
    old_skus = {line.sku for line in held} if live else set()
    inventory.lock_positions(session, set(skus) | old_skus)
    if live:
        # The old hold's units count as available again for the new one.
        inventory.release(session, order_id=cart_ledger_id(cart_id))
    figures = channel_figures(session, setup, skus)
    lines = decide_hold(request, figures)
    return cart_holds.store(
        session,
        row,
        cart_id=cart_id,
        channel=request.channel,
        lines=lines,
        expires_at=expires_at,
        now=now,
    )
