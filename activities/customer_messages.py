"""The customer messages' step: write the messages of new outbox events, send the ones due,
record each attempt. Like the webhook relay's, one call polls for ``run_for_s`` and
heartbeats after each pass, so the workflow records one activity per stretch, not per message."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from temporalio import activity

from oms.connectors.email import EmailSender
from oms.contracts.customer_messages import MessagesRequest, MessagesResult
from oms.db import customer_messages as repo
from oms.db.engine import Database
from oms.domain.messages import MessageStatus
from oms.logging import get_logger
from oms.services import customer_messages as messages

log = get_logger(__name__)
# Messages claimed at once: sent one by one, each within OMS_SMTP_TIMEOUT (10 s), all before
# the claim's lease (5 minutes) runs out, so no other pass takes one still being sent.
CLAIM_AT_ONCE = 20


class CustomerMessageActivities:
    def __init__(self, db: Database, sender: EmailSender | None, *, domain: str) -> None:
        """``sender`` None: no mail server (OMS_SMTP_URL unset), messages are recorded
        ``skipped``. ``domain`` names the Message-ID headers (the From address's)."""
        self.db = db
        self.sender = sender
        self.domain = domain

    @activity.defn
    def send_customer_messages(self, req: MessagesRequest) -> MessagesResult:
        # The workflow's clock decides what is due (a time-skipping test skips retries).
        base = max(req.now, activity.info().current_attempt_scheduled_time)
        start = time.monotonic()
        retry_for = timedelta(seconds=req.retry_for_s)
        counts: dict[MessageStatus | None, int] = {}
        written = passes = 0

        def now() -> datetime:
            return base + timedelta(seconds=time.monotonic() - start)

        while True:
            with self.db.session() as s:
                looked, new = messages.write_messages(s, now=now(), limit=req.batch)
            token = messages.new_token()
            dues = messages.take_due(
                self.db,
                now=now(),
                limit=min(req.batch, CLAIM_AT_ONCE),
                token=token,
                domain=self.domain,
            )
            for due in dues:
                outcome = messages.send_one(
                    self.db, self.sender, due, token=token, now=now(), retry_for=retry_for
                )
                counts[outcome] = counts.get(outcome, 0) + 1
                activity.heartbeat(passes)
            written, passes = written + new, passes + 1
            activity.heartbeat(passes)
            idle = not looked and not dues
            if time.monotonic() - start >= req.run_for_s:
                break
            if idle:
                time.sleep(req.poll_s)
        with self.db.reading() as s:
            next_at = repo.next_due(s)
        result = MessagesResult(
            passes=passes,
            written=written,
            sent=counts.get(MessageStatus.SENT, 0),
            failed=counts.get(MessageStatus.FAILED, 0),
            retried=counts.get(None, 0),
            skipped=counts.get(MessageStatus.SKIPPED, 0),
            withdrawn=counts.get(MessageStatus.WITHDRAWN, 0),
            caught_up=idle,
            next_due_s=max(0.0, (next_at - now()).total_seconds()) if next_at else None,
        )
        if written or dues or any(counts.values()):
            log.info(
                "customer_messages_sent",
                written=result.written,
                sent=result.sent,
                failed=result.failed,
                retried=result.retried,
                skipped=result.skipped,
            )
        return result
