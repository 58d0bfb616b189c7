"""Applying a staged inventory sync: the activities' requests."""

from __future__ import annotations

from pydantic import BaseModel


class SyncRef(BaseModel):
    sync_id: str


class ApplyChunks(BaseModel):
    """Chunks ``first``, ``first + step``, ... up to ``last`` (excluded) of a planned sync."""

    sync_id: str
    first: int
    last: int
    step: int = 1


class SyncFailure(BaseModel):
    sync_id: str
    error: str
