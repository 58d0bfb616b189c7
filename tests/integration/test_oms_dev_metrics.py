"""`oms dev` prints where the API and its worker serve metrics, and both answer there."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from oms.devserver import free_port

BANNER = re.compile(r"^  Metrics +(\S+) \(API\), (\S+) \(worker\)$", re.MULTILINE)


def _until(what: str, check: Callable[[], object], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.3)


def _page(url: str) -> str:
    try:
        return httpx.get(url, timeout=2).text
    except httpx.HTTPError:
        return ""


def test_oms_dev_prints_the_metrics_urls_of_the_api_and_of_the_worker_which_answer(
    tmp_path: Path,
) -> None:
    api_port = free_port()
    env = {
        **os.environ,
        "OMS_HOME": str(tmp_path),
        "OMS_API_PORT": str(api_port),
        "OMS_TEMPORAL_PORT": str(free_port()),
        "OMS_UI_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("OMS_DATABASE_URL", None)
    env.pop("OMS_METRICS_PORT", None)
    out = tmp_path / "out.txt"
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "oms"), "dev"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        _until("the banner", lambda: BANNER.search(out.read_text()) or proc.poll() is not None)
        found = BANNER.search(out.read_text())
        assert found, out.read_text()
        api_metrics, worker_metrics = found.groups()
        assert api_metrics == f"http://127.0.0.1:{api_port}/metrics"

        _until("the API answers", lambda: "oms_http_request_seconds" in _page(api_metrics))
        # The worker's page: the SDK's metrics, once the worker polls its task queue.
        _until("the worker's metrics", lambda: "temporal_num_pollers" in _page(worker_metrics))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, out.read_text()
