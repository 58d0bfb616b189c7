"""The OMS as separate processes, as an operator runs it: a Temporal dev server of its own,
`oms worker` and `oms api` started from the installed command with ``OMS_*`` settings, each
process's output read line by line as it comes (a full pipe would stall the process)."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from oms.db.engine import Database
from oms.devserver import free_port, start_dev_args
from oms.seed import ensure_dev_keys, seed_catalog

OMS = str(Path(sys.executable).parent / "oms")


@contextmanager
def temporal_dev_server(home: Path) -> Iterator[str]:
    """A headless `temporal server start-dev` with the OMS's search attributes; yields its
    address."""
    port = free_port()
    args = start_dev_args(db_file=home / "temporal.db", port=port, ui_port=None)
    with (home / "temporal.log").open("wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while not _listening(port):
                assert proc.poll() is None, (home / "temporal.log").read_text()
                assert time.monotonic() < deadline, "the Temporal dev server did not start"
                time.sleep(0.1)
            yield f"127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def demo_data(db: Database, home: Path) -> dict[str, str]:
    """What `oms dev` seeds: the demo catalogue, stock and locations; answers the API keys."""
    seed_catalog(db)
    return ensure_dev_keys(db, home / "dev-keys.json")


def oms_env(home: Path, *, database_url: str, temporal_address: str) -> dict[str, str]:
    """The settings of every process of one stack, and none of the caller's own ``OMS_*``:
    a task queue of its own, a payload key of its own, and JSON logs at INFO."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMS_")}
    return {
        **env,
        "OMS_HOME": str(home),
        "OMS_DATABASE_URL": database_url,
        "OMS_TEMPORAL_ADDRESS": temporal_address,
        "OMS_TASK_QUEUE": f"oms-{uuid.uuid4().hex[:8]}",
        "OMS_PAYLOAD_KEYS": f"test:{base64.b64encode(os.urandom(32)).decode()}",
        "OMS_LOG_JSON": "true",
        "OMS_LOG_LEVEL": "INFO",
    }


class OmsProcess:
    """`oms <command>` running, its stdout and stderr collected line by line."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.command = command
        self.proc = subprocess.Popen(
            [OMS, command],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(name, stream), daemon=True)
            for name, stream in (("stdout", self.proc.stdout), ("stderr", self.proc.stderr))
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, name: str, stream: IO[bytes]) -> None:
        for line in iter(stream.readline, b""):
            self.lines[name].append(line)

    def output(self) -> str:
        return b"".join(self.lines["stderr"] + self.lines["stdout"]).decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no last word, as when a machine dies."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._drain()

    def stop(self) -> None:
        """Ctrl-C's SIGTERM, as a process manager stops it."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._drain()

    def _drain(self) -> None:
        for reader in self._readers:
            reader.join(timeout=10)


def api_process(env: dict[str, str]) -> tuple[OmsProcess, str]:
    """`oms api` on a free port, once /healthz answers 200 (database and Temporal both
    reached); answers the process and its base URL."""
    port = free_port()
    api = OmsProcess("api", {**env, "OMS_API_HOST": "127.0.0.1", "OMS_API_PORT": str(port)})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert api.proc.poll() is None, api.output()
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return api, base
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "oms api did not become healthy\n" + api.output()
        time.sleep(0.2)
