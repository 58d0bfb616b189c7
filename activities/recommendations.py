"""The affinity refresh's step: count the orders placed since the last call, a batch per
transaction (``oms.db.affinity``), heartbeating after each, until caught up or the call's
share is done."""

from __future__ import annotations

from temporalio import activity

from oms.contracts.recommendations import RefreshRequest, RefreshResult
from oms.db import affinity
from oms.db.engine import Database
from oms.db.tables import utcnow
from oms.logging import get_logger

log = get_logger(__name__)


class AffinityActivities:
    def __init__(self, db: Database, batch: int = affinity.BATCH_ORDERS) -> None:
        self.db = db
        self.batch = batch

    @activity.defn
    def refresh_affinity(self, req: RefreshRequest) -> RefreshResult:
        done = affinity.refresh(
            self.db, utcnow, max_orders=req.max_orders, batch=self.batch, beat=activity.heartbeat
        )
        log.info("affinity_refreshed", orders=done.orders, skus=done.rebuilt, baskets=done.baskets)
        return RefreshResult(
            orders=done.orders, skus=done.rebuilt, baskets=done.baskets, caught_up=done.caught_up
        )
