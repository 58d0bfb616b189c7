"""The real API (``api.app.create_app``) under uvicorn in a child process, for benchmarks of
the HTTP paths that need no Temporal (``GET /availability``, ``POST /inventory/positions``).

The app is handed a Temporal client made with ``lazy=True`` towards a port nothing listens
on: the lifespan then does not connect, and a route that did need Temporal would fail loudly
rather than be measured by mistake. Uvicorn runs as ``oms api`` runs it (one process, the
default event loop and HTTP parser of this environment, log level warning).

    python -m bench.api_server --database-url URL --port PORT
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


async def serve(database_url: str, port: int) -> None:
    import uvicorn
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter

    from api.app import create_app
    from oms.config import Settings
    from oms.devserver import free_port

    settings = Settings(database_url=database_url, log_level="WARNING")
    client = await Client.connect(
        f"127.0.0.1:{free_port()}", data_converter=pydantic_data_converter, lazy=True
    )
    app = create_app(settings, client=client)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    await uvicorn.Server(config).serve()


@contextmanager
def running_api(
    database_url: str, port: int, *, ready_path: str, headers: dict[str, str], timeout_s: float = 30
) -> Iterator[str]:
    """Start the API in a child process, wait until ``ready_path`` answers 200, yield its
    base URL; stop it on the way out."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.api_server", "--database-url", database_url,
         "--port", str(port)],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    )  # fmt: skip
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
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--database-url", required=True)
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    asyncio.run(serve(args.database_url, args.port))


if __name__ == "__main__":
    main()
