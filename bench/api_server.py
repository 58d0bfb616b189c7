"""The real API (``api.app.create_app``) under uvicorn in a child process, for benchmarks.

Two modes. Without ``--temporal-address`` (bench/inventory.py: the HTTP paths that need no
Temporal, ``GET /availability``, ``POST /inventory/positions``) the app is handed a Temporal
client made with ``lazy=True`` towards a port nothing listens on: the lifespan then does not
connect, and a route that did need Temporal would fail loudly rather than be measured by
mistake. With ``--temporal-address`` and ``--task-queue`` (bench/orders.py) it runs as
``oms api`` does: the lifespan connects to that server and orders start on that queue.

Uvicorn runs as ``oms api`` runs it (one process, the default event loop and HTTP parser of
this environment, log level warning).

    python -m bench.api_server --database-url URL --port PORT
    python -m bench.api_server --database-url URL --port PORT \\
        --temporal-address HOST:PORT --task-queue QUEUE
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.processes import stop

ROOT = Path(__file__).resolve().parent.parent


async def serve(
    database_url: str,
    port: int,
    *,
    temporal_address: str | None = None,
    task_queue: str | None = None,
    log_level: str = "WARNING",
) -> None:
    import uvicorn
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter

    from api.app import create_app
    from oms.config import Settings
    from oms.devserver import free_port
    from oms.logging import configure_logging

    client: Client | None = None
    if temporal_address is None or task_queue is None:
        settings = Settings(database_url=database_url, log_level=log_level)
        client = await Client.connect(
            f"127.0.0.1:{free_port()}", data_converter=pydantic_data_converter, lazy=True
        )
    else:
        # As `oms api` runs: its log lines on stderr, and no client given, so the lifespan
        # connects as in production (oms.temporal.connect).
        configure_logging(log_level, json=True)
        settings = Settings(
            database_url=database_url,
            temporal_address=temporal_address,
            task_queue=task_queue,
            log_level=log_level,
        )
    app = create_app(settings, client=client)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", log_config=None)
    await uvicorn.Server(config).serve()


@dataclass(frozen=True)
class ApiProcess:
    base_url: str
    pid: int


@contextmanager
def api_process(
    database_url: str,
    port: int,
    *,
    ready_path: str,
    headers: dict[str, str],
    temporal_address: str | None = None,
    task_queue: str | None = None,
    log_level: str = "WARNING",
    timeout_s: float = 30,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[ApiProcess]:
    """Start the API in a child process, wait until ``ready_path`` answers 200, yield its
    base URL and process id; stop it on the way out. ``extra_env``: settings for it alone
    (``OMS_PAYLOAD_KEYS``, which it must share with the workers)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra_env or {})}
    command = [
        sys.executable, "-m", "bench.api_server", "--database-url", database_url,
        "--port", str(port), "--log-level", log_level,
    ]  # fmt: skip
    if temporal_address is not None:
        command += ["--temporal-address", temporal_address]
    if task_queue is not None:
        command += ["--task-queue", task_queue]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        with httpx.Client(base_url=base, headers=headers, timeout=5) as http:
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"the API exited with code {process.returncode}")
                try:
                    if http.get(ready_path).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"the API did not answer {ready_path} within {timeout_s}s")
                time.sleep(0.1)
        yield ApiProcess(base_url=base, pid=process.pid)
    finally:
        stop(process, timeout_s=10)


@contextmanager
def running_api(
    database_url: str,
    port: int,
    *,
    ready_path: str,
    headers: dict[str, str],
    timeout_s: float = 30,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """The API without Temporal (see the module's docstring); yields its base URL."""
    with api_process(
        database_url,
        port,
        ready_path=ready_path,
        headers=headers,
        timeout_s=timeout_s,
        extra_env=extra_env,
    ) as api:
        yield api.base_url


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--database-url", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--temporal-address", default=None, help="host:port; none: no Temporal")
    p.add_argument("--task-queue", default=None, help="where orders start")
    p.add_argument("--log-level", default="WARNING")
    args = p.parse_args()
    if (args.task_queue is None) != (args.temporal_address is None):
        p.error("--temporal-address and --task-queue go together")
    asyncio.run(
        serve(
            args.database_url,
            args.port,
            temporal_address=args.temporal_address,
            task_queue=args.task_queue,
            log_level=args.log_level,
        )
    )


if __name__ == "__main__":
    main()
