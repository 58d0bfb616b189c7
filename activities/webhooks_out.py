"""The webhook relay's step: turn new outbox events into deliveries, send the ones that are
due (signed, many at once), record each answer. It polls for ``run_for_s`` and heartbeats
after each pass, so the workflow that calls it records one activity per stretch, not per
event."""

from __future__ import annotations

import time
from datetime import timedelta

from temporalio import activity

from oms.connectors.webhooks_out import WebhookSender
from oms.contracts.webhooks_out import RelayRequest, RelayResult
from oms.db import webhooks_out
from oms.db.engine import Database
from oms.domain.webhooks_out import DeliveryStatus
from oms.logging import get_logger

log = get_logger(__name__)


class WebhookRelayActivities:
    def __init__(self, db: Database, sender: WebhookSender) -> None:
        self.db = db
        self.sender = sender

    @activity.defn
    def relay_webhooks(self, req: RelayRequest) -> RelayResult:
        # The workflow's clock decides what is due (a time-skipping test skips retries); a
        # retried attempt starts from when it was scheduled, not from the first one.
        base = max(req.now, activity.info().current_attempt_scheduled_time)
        start = time.monotonic()
        retry_for = timedelta(seconds=req.retry_for_s)
        totals = dict.fromkeys(DeliveryStatus, 0)
        relayed = passes = 0
        while True:
            now = base + timedelta(seconds=time.monotonic() - start)
            with self.db.session() as s:
                fresh = webhooks_out.relay(s, now=now, limit=req.batch)
            with self.db.reading() as s:
                dues = webhooks_out.due(s, now=now, limit=req.batch)
            outcomes = []
            # A pass of slow receivers can outlast the heartbeat timeout: beat as they answer.
            for outcome in self.sender.send_all(dues):
                outcomes.append(outcome)
                activity.heartbeat(passes)
            done = base + timedelta(seconds=time.monotonic() - start)
            with self.db.session() as s:
                counts = webhooks_out.record(s, outcomes, now=done, retry_for=retry_for)
            for status, n in counts.items():
                totals[status] += n
            relayed, passes = relayed + fresh, passes + 1
            activity.heartbeat(passes)
            idle = not fresh and not dues
            if time.monotonic() - start >= req.run_for_s:
                break
            if idle:
                time.sleep(req.poll_s)
        with self.db.reading() as s:
            next_at = webhooks_out.next_due(s)
        now = base + timedelta(seconds=time.monotonic() - start)
        if relayed or any(totals.values()):
            log.info(
                "webhooks_relayed",
                relayed=relayed,
                delivered=totals[DeliveryStatus.DELIVERED],
                failed=totals[DeliveryStatus.FAILED],
                dead=totals[DeliveryStatus.DEAD],
            )
        return RelayResult(
            passes=passes,
            relayed=relayed,
            delivered=totals[DeliveryStatus.DELIVERED],
            failed=totals[DeliveryStatus.FAILED],
            dead=totals[DeliveryStatus.DEAD],
            caught_up=idle,
            next_due_s=max(0.0, (next_at - now).total_seconds()) if next_at else None,
        )
