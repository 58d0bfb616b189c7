"""Human tasks a workflow opens, escalates and closes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from oms.domain.tasks import TaskKind, TaskStatus


class OpenTask(BaseModel):
    task_id: str
    kind: TaskKind
    order_id: str
    workflow_id: str
    location_id: str | None = None
    due_at: datetime | None = None
    payload: dict[str, Any] = Field(default_factory=dict)


class CloseTask(BaseModel):
    task_id: str
    status: TaskStatus
    actor: str = "system"
