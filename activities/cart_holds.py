"""Cart hold expiry, as an activity: the hold's own deadline, then a sweep of any other hold
whose timer was lost."""

from __future__ import annotations

from temporalio import activity

from oms.contracts.cart_holds import HoldDue, HoldState
from oms.db import cart_holds
from oms.db.engine import Database
from oms.db.tables import utcnow
from oms.domain.cart_holds import HoldStatus
from oms.logging import get_logger

log = get_logger(__name__)


class CartHoldActivities:
    def __init__(self, db: Database) -> None:
        self.db = db

    @activity.defn
    def expire_cart_hold(self, req: HoldDue) -> HoldState:
        """Expire the hold if it is still held and due; answer where it stands. Idempotent:
        a hold already released, expired, converted or extended is left as it is."""
        # The later of the two clocks: a timer never fires early, and a worker whose clock
        # lags must not keep a due hold alive.
        now = max(req.now, utcnow())
        with self.db.session() as s:
            row = cart_holds.expire(s, req.cart_id, now)
            state = HoldState(
                cart_id=req.cart_id,
                status=HoldStatus(row.status) if row is not None else None,
                expires_at=cart_holds.as_utc(row.expires_at) if row is not None else None,
            )
        if state.status is HoldStatus.EXPIRED:
            log.info("cart_hold_expired", cart_id=req.cart_id)
        with self.db.session() as s:
            swept = cart_holds.expire_due(s, now)
        if swept:
            log.info("cart_holds_swept", cart_ids=swept, count=len(swept))
        return state.model_copy(update={"swept": len(swept)})
