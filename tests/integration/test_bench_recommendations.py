"""bench/recommendations.py at a tiny size, on SQLite and (when configured) on the test
PostgreSQL server: it prints every figure it promises, next to its target, and leaves no
database behind. Figures only; no timing is asserted."""

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
        [sys.executable, "bench/recommendations.py", "--json", "--quiet", "--skus", "300",
         "--locations", "20", "--orders", "2000", "--planted", "10", "--calls", "20",
         "--warmup", "2", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def check_shape(figures: dict[str, Any]) -> None:
    assert (figures["skus"], figures["locations"], figures["orders"]) == (300, 20, 2000)
    assert figures["orders_counted"] == 2000
    assert 0 <= figures["precision_at_5"] <= 1
    assert (figures["product_calls"], figures["cart_calls"]) == (20, 20)
    for key in ("product_p50_ms", "product_p99_ms", "cart_p50_ms", "cart_p99_ms",
                "http_floor_p50_ms", "http_floor_p99_ms", "product_in_process_p99_ms",
                "cart_in_process_p99_ms"):  # fmt: skip
        assert figures[key] > 0, key
    assert figures["targets"] == {
        "precision_at_5": 0.8,
        "zero_extra_shipment_share": 1.0,
        "product_p99_ms": 20.0,
        "cart_p99_ms": 30.0,
    }
    assert set(figures["meets"]) == set(figures["targets"])
    assert len(figures["load_avg_before"]) == 3


def test_the_recommendations_benchmark_prints_its_figures_on_sqlite() -> None:
    figures = run_bench()

    check_shape(figures)
    assert figures["database"] == "sqlite"


@pytest.mark.skipif(not PG_URL, reason="OMS_TEST_DATABASE_URL is not set")
def test_the_recommendations_benchmark_on_postgresql_drops_its_database() -> None:
    assert PG_URL is not None

    figures = run_bench("--database-url", PG_URL)

    check_shape(figures)
    assert figures["database"] == "postgresql"
    assert str(figures["scratch_database"]).startswith("oms_bench_")
    assert figures["scratch_database"] not in bench_databases()
