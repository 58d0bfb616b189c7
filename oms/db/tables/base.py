"""What every table module shares: the clock and the column helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, DateTime
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(dt: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; every stored time is UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def one_of(vocabulary: type[StrEnum]) -> str:
    """A column's description: the values of the enum it stores, which code writes and
    compares as members (columns hold the values as plain strings)."""
    return " | ".join(vocabulary)


def timestamp(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), **kw))
