"""The rules of one order's run that come from settings, fixed when it starts."""

from __future__ import annotations

from pydantic import BaseModel


class OrderPolicy(BaseModel):
    """Per-order settings fixed when the order starts, so a run never changes rules mid-way."""

    review_escalate_after_s: float = 4 * 3600.0
    review_timeout_after_s: float = 24 * 3600.0
    pick_escalate_after_s: float = 2 * 3600.0
    max_reroutes: int = 1
    # Units a profile backorders or holds: sourced again every stock_retry_s, for at most
    # stock_wait_s, then cancelled as out of stock.
    stock_retry_s: float = 3600.0
    stock_wait_s: float = 3 * 24 * 3600.0
    # A card authorization holds the funds about 7 days: a capture later than this after it
    # is made against a fresh authorization of what is left.
    authorization_valid_for_s: float = 6 * 24 * 3600.0
    # A capture the gateway refused waits for customer service (retry, re-authorize, write
    # off); its task is escalated after this long.
    payment_escalate_after_s: float = 4 * 3600.0
