"""bench/webhooks.py at a tiny size: every event written reaches the receiver, signed with the
subscription's secret, and every promised figure is printed next to its target. Figures only;
no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def test_the_webhook_benchmark_delivers_every_event_and_prints_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, "bench/webhooks.py", "--json", "--quiet", "--burst", "150",
         "--paced", "60", "--rate", "120", "--orders", "20", "--timeout", "60"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    figures: dict[str, Any] = json.loads(done.stdout)

    assert (figures["events_burst"], figures["events_paced"]) == (150, 60)
    assert figures["signatures_refused"] == 0
    for key in ("deliveries_per_s", "event_to_delivery_p50_ms", "event_to_delivery_p99_ms"):
        assert figures[key] > 0, key
    assert figures["targets"] == {"deliveries_per_s": 200.0, "event_to_delivery_p99_ms": 2000.0}
    assert set(figures["meets"]) == set(figures["targets"])
    assert len(figures["load_avg_before"]) == 3
    assert figures["database"] == "sqlite"
