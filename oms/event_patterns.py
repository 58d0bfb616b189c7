"""A webhook subscription's patterns checked against the event registry (``oms.events``): a
pattern that no type the OMS sends can match (``orders.created``) would silently never
deliver, so it is refused with the closest types and wildcards."""

from __future__ import annotations

import difflib

from oms.domain.words import listed
from oms.events import EVENTS, named


def pattern_problem(pattern: str) -> str | None:
    """Why a subscription's pattern (a type, ``order.*``, ``*``) would never match an event the
    OMS sends, naming the closest types and wildcards; None when it can match one."""
    if pattern == "*" or named(pattern) is not None:
        return None
    if pattern.endswith(".*") and any(e.name.startswith(pattern[:-1]) for e in EVENTS):
        return None
    known = [e.name for e in EVENTS] + sorted({e.name.split(".")[0] + ".*" for e in EVENTS})
    close = difflib.get_close_matches(pattern, known, n=3, cutoff=0.6)
    hint = f"; did you mean {listed(close, last='or')}?" if close else ""
    return f"{pattern!r} matches no event type the OMS sends (docs/events.md){hint}"
