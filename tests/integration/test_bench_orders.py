"""bench/orders.py at a tiny size: every order placed (half through the real API in its own
process, half started directly) completes with store staff working from the API alone, and
the run prints every figure it promises. Figures only; no timing is asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDERS = 6
TIMINGS = (
    "duration_s",
    "orders_per_s",
    "p50_ms",
    "p99_ms",
    "post_p99_ms",
    "start_p99_ms",
    "post_vs_start",
    "baseline_wf_per_s",
    "ratio",
)


def run_bench(*extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "bench/orders.py", "--orders", str(ORDERS), "--concurrency", "3",
         "--history-sample", "2", "--poll-ms", "100", "--json", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    # The figures are the last line: the Temporal SDK's core may log a warning to stdout before
    # them (a workflow task that took over 5 s on a loaded machine).
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def test_the_order_benchmark_completes_every_order_through_the_api_and_prints_its_figures() -> None:
    figures = run_bench()
    assert figures["database"] == "sqlite"
    assert (figures["completed"], figures["failures"]) == (ORDERS, 0), figures["failure_samples"]
    assert (figures["orders_posted"], figures["orders_started"]) == (ORDERS // 2, ORDERS // 2)
    # The staff picked and packed every fulfilment through the API, and queried no workflow.
    fulfilments = round(figures["fulfilments_per_order"] * ORDERS)
    assert figures["staff_picks"] == figures["staff_packs"] == fulfilments > 0
    assert figures["staff_failures"] == 0, figures["staff_failure_samples"]
    assert figures["staff_list_requests"] > 0
    assert figures["status_queries_per_order"] == 0
    assert figures["workflow_tasks_per_order"] > 0
    assert figures["activities_per_order"] > 0
    assert figures["api_cpu_s"] is not None
    # The workers ran in a process of their own, as production runs them, for both phases.
    assert (figures["worker"], figures["worker_processes"]) == ("process", 1)
    assert figures["worker_process_cpu_s"] > 0
    assert figures["baseline_worker_process_cpu_s"] > 0
    assert figures["sandbox"] in ("passthrough", "default")
    assert len(figures["load_before"]) == len(figures["load_after"]) == 3
    # The yardstick does not follow the order: 19 activities, whatever the order runs.
    assert figures["baseline_activities"] == 19
    assert (figures["baseline_workflows"], figures["baseline_failures"]) == (ORDERS, 0)
    for key in TIMINGS:
        assert figures[key] > 0, key


def test_the_order_benchmark_can_run_its_workers_inside_its_own_process() -> None:
    figures = run_bench("--worker", "inprocess")

    assert (figures["completed"], figures["failures"]) == (ORDERS, 0), figures["failure_samples"]
    assert figures["worker"] == "inprocess"
    assert figures["worker_process_cpu_s"] is None
    assert figures["baseline_failures"] == 0


@pytest.mark.skipif(
    not os.environ.get("OMS_TEST_DATABASE_URL"), reason="OMS_TEST_DATABASE_URL is not set"
)
def test_the_order_benchmark_runs_on_a_scratch_postgresql_database_too() -> None:
    # Two worker processes share each phase's task queue, as `oms worker` scales out.
    figures = run_bench(
        "--database-url", os.environ["OMS_TEST_DATABASE_URL"], "--worker-processes", "2"
    )

    assert figures["database"] == "postgresql"
    assert figures["worker_processes"] == 2
    assert figures["worker_process_cpu_s"] > 0
    assert figures["baseline_worker_process_cpu_s"] > 0
    assert (figures["completed"], figures["failures"]) == (ORDERS, 0), figures["failure_samples"]
    assert figures["staff_failures"] == 0, figures["staff_failure_samples"]
