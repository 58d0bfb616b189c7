"""The webhook relay's call: relay the outbox's new events, send what is due, report."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RelayRequest(BaseModel):
    now: datetime = Field(description="The workflow's clock: retries are due by it")
    run_for_s: float = Field(ge=0, description="Keep polling this long; 0: one pass")
    poll_s: float = Field(gt=0, description="Pause between passes that found nothing")
    batch: int = Field(ge=1, description="Events relayed and deliveries sent per pass at most")
    retry_for_s: float = Field(gt=0, description="How long a failing delivery is retried")


class RelayResult(BaseModel):
    passes: int
    relayed: int = Field(description="Outbox events turned into deliveries")
    delivered: int
    failed: int
    dead: int
    caught_up: bool = Field(description="The last pass found nothing to do; False: call again")
    next_due_s: float | None = Field(
        description="Seconds until the next retry falls due; None: nothing is waiting"
    )
