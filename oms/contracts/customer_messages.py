"""The customer messages' call: write the messages of new outbox events, send what is due,
report."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class MessagesRequest(BaseModel):
    now: datetime = Field(description="The workflow's clock: retries are due by it")
    run_for_s: float = Field(ge=0, description="Keep polling this long; 0: one pass")
    poll_s: float = Field(gt=0, description="Pause between passes that found nothing")
    batch: int = Field(ge=1, description="Events looked at and messages sent per pass at most")
    retry_for_s: float = Field(
        gt=0, description="How long a message the server refuses for now is retried"
    )


class MessagesResult(BaseModel):
    passes: int
    written: int = Field(description="Messages written from new outbox events")
    sent: int
    failed: int = Field(description="Refused for good, or still refused when the window closed")
    retried: int = Field(description="Attempts the server refused for now: tried again later")
    skipped: int = Field(description="Recorded, not sent: no mail server (OMS_SMTP_URL unset)")
    withdrawn: int = Field(
        default=0, description="Recorded, not sent: no longer true when its turn came"
    )
    caught_up: bool = Field(description="The last pass found nothing to do; False: call again")
    next_due_s: float | None = Field(
        description="Seconds until the next retry falls due; None: nothing is waiting"
    )
