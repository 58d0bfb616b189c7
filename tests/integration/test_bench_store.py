"""bench/store.py at a tiny size, on SQLite and (when configured) on the test PostgreSQL
server: it prints every figure it promises, next to its target, and leaves no database
behind. Figures only; no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PG_URL
from tests.integration.test_bench_inventory import bench_databases

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "bench/store.py", "--json", "--quiet", "--fulfilments", "120",
         "--skus", "40", "--builds", "5", "--warmup", "1", "--wave-size", "30",
         "--work-items", "300", "--work-calls", "50", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def check_shape(figures: dict[str, Any]) -> None:
    assert (figures["fulfilments_open"], figures["builds"]) == (120, 5)
    # Every timed build took a full wave: the figure measures real builds, not empty ones.
    assert figures["wave_fulfilments"] == 30
    assert figures["wave_lines"] >= 30
    for key in ("wave_build_p50_ms", "wave_build_p99_ms", "wave_build_max_ms"):
        assert figures[key] > 0, key
    # The work list, timed over HTTP with every open fulfilment listed as work.
    assert figures["work_list_calls"] > 0
    for key in ("work_list_p50_ms", "work_list_p99_ms", "work_list_max_ms"):
        assert figures[key] > 0, key
    assert figures["targets"] == {"wave_build_p99_ms": 50.0, "work_list_p99_ms": 50.0}
    assert set(figures["meets"]) == set(figures["targets"])
    assert len(figures["load_avg_before"]) == 3


def test_the_store_benchmark_prints_its_figures_on_sqlite() -> None:
    figures = run_bench()

    check_shape(figures)
    assert figures["database"] == "sqlite"


@pytest.mark.skipif(not PG_URL, reason="OMS_TEST_DATABASE_URL is not set")
def test_the_store_benchmark_prints_its_figures_on_postgresql_and_drops_its_database() -> None:
    assert PG_URL is not None

    figures = run_bench("--database-url", PG_URL)

    check_shape(figures)
    assert figures["database"] == "postgresql"
    assert str(figures["scratch_database"]).startswith("oms_bench_")
    assert figures["scratch_database"] not in bench_databases()
