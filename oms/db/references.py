"""Whether anything still refers to a row an admin wants to delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select


def first_use(session: Session, uses: Mapping[str, Any], value: str) -> str | None:
    """The name of the first of ``uses`` (name -> column) holding ``value``, else None."""
    for what, column in uses.items():
        if session.exec(select(column).where(column == value).limit(1)).first() is not None:
            return what
    return None
