"""Every event type the code emits is in the registry (oms/events.py) with a payload schema,
and docs/events.md says what the registry says."""

from __future__ import annotations

import re
from pathlib import Path

from oms.domain.shipments import EVENT_OF
from oms.domain.stock_events import EVENT_TYPES
from oms.events import EVENTS, named, section

ROOT = Path(__file__).resolve().parents[2]
# An event type written as a literal (or the fixed start of an f-string): "order.completed",
# f"payment.capture_failed.{fid}".
LITERAL = re.compile(
    r"""f?["']((?:order|fulfilment|shipment|task|return|payment|inventory|fraud_review)"""
    r"""\.[a-z_.]*)(?:\{[a-z_]+\})?["']"""
)


def emitted_in_code() -> set[str]:
    found: set[str] = set()
    for package in ("oms", "workflows", "activities", "api"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "oms" / "events.py":
                continue
            found.update(LITERAL.findall(path.read_text()))
    return found


def test_the_scan_finds_the_types_written_as_literals() -> None:
    found = emitted_in_code()

    assert {"order.completed", "task.escalated", "return.refunded"} <= found
    assert "payment.capture_failed." in found  # the f-string's fixed start


def test_every_event_type_the_code_emits_is_in_the_registry() -> None:
    types = emitted_in_code() | set(EVENT_OF.values()) | set(EVENT_TYPES.values())

    missing = sorted(t for t in types if named(t) is None)
    assert missing == []
    assert named("payment.capture_failed.O1.F1") is not None


def test_every_registered_type_has_an_object_schema_with_its_required_fields() -> None:
    for e in EVENTS:
        assert e.version >= 1
        assert e.payload["type"] == "object", e.name
        assert set(e.payload["required"]) <= set(e.payload["properties"]), e.name
    assert len({e.name for e in EVENTS}) == len(EVENTS)


def test_docs_events_shows_each_type_as_the_registry_says() -> None:
    page = (ROOT / "docs" / "events.md").read_text()

    stale = [e.name for e in EVENTS if section(e) not in page]
    assert stale == [], "regenerate with: python -m oms.events"
    documented = re.findall(r"^### `([^`]+)`", page, flags=re.MULTILINE)
    assert documented == [e.name for e in EVENTS]
