"""bench/inventory.py at a tiny size on the test PostgreSQL server: it prints every figure it
promises and leaves no database behind. Figures only; no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from oms.db.engine import normalize_url
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
FIGURES = (
    "bulk_rows_per_s",
    "bulk_first_load_rows_per_s",
    "copy_rows_per_s",
    "bulk_vs_copy",
    "batch_rows_per_s",
    "batch_http_rows_per_s",
    "deltas_per_s",
    "single_delta_tx_per_s",
    "atp_db_p50_ms",
    "atp_db_p99_ms",
    "atp_http_p50_ms",
    "atp_http_p99_ms",
    "atp_batch100_db_p50_ms",
    "atp_batch100_db_p99_ms",
    "atp_batch100_http_p99_ms",
)


def bench_databases() -> set[str]:
    assert PG_URL is not None
    engine = create_engine(normalize_url(PG_URL))
    with engine.connect() as conn:
        names = conn.execute(text("SELECT datname FROM pg_database")).scalars()
        found = {n for n in names if n.startswith("oms_bench_")}
    engine.dispose()
    return found


@pytest.mark.skipif(not PG_URL, reason="OMS_TEST_DATABASE_URL is not set")
def test_the_inventory_benchmark_prints_every_figure_and_drops_its_database() -> None:
    assert PG_URL is not None

    done = subprocess.run(
        [sys.executable, "bench/inventory.py", "--quick", "--json", "--quiet",
         "--database-url", PG_URL],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout)
    assert (figures["skus"], figures["locations"], figures["positions"]) == (40, 10, 400)
    for key in FIGURES:
        assert figures[key] > 0, key
    # Every row sent was written: the rates measure real writes, not refusals.
    assert figures["bulk_applied"] == figures["positions"]
    assert figures["batch_applied"] == figures["batch_rows"]
    assert figures["batch_http_applied"] == figures["batch_rows"]
    assert figures["deltas_applied"] == figures["deltas"]
    assert set(figures["meets"]) >= {"bulk_rows_per_s", "atp_db_p99_ms", "atp_http_p99_ms"}
    assert figures["scratch_database"].startswith("oms_bench_")
    assert figures["scratch_database"] not in bench_databases()
