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
        orders = skus = baskets = 0
        caught_up = False
        while orders < req.max_orders and not caught_up:
            with self.db.session() as s:
                batch = affinity.refresh_batch(
                    s, utcnow(), min(self.batch, req.max_orders - orders)
                )
            orders, skus, baskets = orders + batch.orders, skus + batch.skus, batch.baskets
            caught_up = batch.caught_up
            activity.heartbeat(orders)
        log.info("affinity_refreshed", orders=orders, skus=skus, baskets=baskets)
        return RefreshResult(orders=orders, skus=skus, baskets=baskets, caught_up=caught_up)
