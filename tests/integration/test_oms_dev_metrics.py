"""`oms dev` prints where the API and its worker serve metrics, and both answer there; it
prints its banner once the API answers, and its own servers beside the API (the worker's
metrics, the mail sink) keep their ports across restarts."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from oms.cli_dev import in_use
from oms.devserver import free_port

OMS = str(Path(sys.executable).parent / "oms")
BANNER = re.compile(r"^  Metrics +(\S+) \(API\), (\S+) \(worker\)$", re.MULTILINE)
SMTP = re.compile(r"^  Mail .*\(SMTP (\S+)\)$", re.MULTILINE)
RUNNING = "Ctrl-C stops everything"  # the banner's last line


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


def api_port_with_room() -> int:
    """A free port for the API whose neighbours for the worker's metrics (+1) and the mail
    sink (+25) are free too."""
    while True:
        port = free_port()
        if port + 25 <= 65535 and not in_use(port + 1) and not in_use(port + 25):
            return port


@contextmanager
def dev_stack(home: Path, api_port: int) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`oms dev` running with its output in a file, stopped with Ctrl-C at the end."""
    env = {
        **os.environ,
        "OMS_HOME": str(home),
        "OMS_API_PORT": str(api_port),
        "OMS_TEMPORAL_PORT": str(free_port()),
        "OMS_UI_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("OMS_DATABASE_URL", "OMS_METRICS_PORT", "OMS_MAIL_SINK_PORT", "OMS_SMTP_URL"):
        env.pop(name, None)
    out = home / f"out-{time.monotonic_ns()}.txt"
    with out.open("wb") as sink:
        proc = subprocess.Popen([OMS, "dev"], env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        yield proc, out
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, out.read_text()


def _oms_env(home: Path, api_port: int) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMS_")}
    env.update({"OMS_HOME": str(home), "OMS_API_PORT": str(api_port)})
    done = subprocess.run([OMS, "env"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_oms_dev_prints_the_metrics_urls_of_the_api_and_of_the_worker_which_answer(
    tmp_path: Path,
) -> None:
    api_port = api_port_with_room()
    with dev_stack(tmp_path, api_port) as (proc, out):
        _until("the banner", lambda: BANNER.search(out.read_text()) or proc.poll() is not None)
        found = BANNER.search(out.read_text())
        assert found, out.read_text()
        api_metrics, worker_metrics = found.groups()
        assert api_metrics == f"http://127.0.0.1:{api_port}/metrics"

        _until("the API answers", lambda: "oms_http_request_seconds" in _page(api_metrics))
        # The worker's page: the SDK's metrics, once the worker polls its task queue.
        _until("the worker's metrics", lambda: "temporal_num_pollers" in _page(worker_metrics))


def test_oms_dev_prints_its_banner_once_the_api_answers_and_keeps_its_ports_across_restarts(
    tmp_path: Path,
) -> None:
    api_port = api_port_with_room()
    seen = []
    for _ in range(2):
        with dev_stack(tmp_path, api_port) as (proc, out):
            _until("the banner", lambda: RUNNING in out.read_text() or proc.poll() is not None)
            # The banner says to go ahead: the API answers at once, no retry needed.
            health = httpx.get(f"http://127.0.0.1:{api_port}/healthz", timeout=10)
            assert health.status_code == 200, health.text
            banner = out.read_text()
            metrics, smtp = BANNER.search(banner), SMTP.search(banner)
            assert metrics, banner
            assert smtp, banner
            exported = re.search(r"^export OMS_SMTP_URL=(\S+)$", _oms_env(tmp_path, api_port), re.M)
            assert exported, "oms env exports no OMS_SMTP_URL"
            seen.append((metrics.group(2), smtp.group(1), exported.group(1)))

    # Each next to the API's port, the same after a restart: what a shell took still holds.
    assert seen[0] == seen[1]
    worker_metrics, smtp_url, exported_url = seen[0]
    assert worker_metrics == f"http://127.0.0.1:{api_port + 1}/metrics"
    assert smtp_url == exported_url == f"smtp://127.0.0.1:{api_port + 25}"
