"""A benchmark's worker in a child process of its own, as production runs ``oms worker``.

The storefront, the store staff and the result waiters of ``bench/orders.py`` are other
machines in production; run in the worker's process they took turns with it at one
interpreter lock. Here the worker has its process to itself, for the orders (the OMS worker:
workflows and activities on the bench's database, simulated gateway and carrier) and for the
baseline (19 no-op activities) alike, so both phases run in the same shape.

    python -m bench.worker_process --kind orders --address HOST:PORT --task-queue Q \\
        [--sandbox passthrough]   # the database in $OMS_BENCH_DATABASE_URL
    python -m bench.worker_process --kind baseline --address HOST:PORT --task-queue Q

``OMS_PAYLOAD_KEYS`` in its environment: the key the bench and the API seal payloads with.
It prints ``ready`` once polling and runs until it is terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bench.processes import stop

if TYPE_CHECKING:
    from bench.orders_setup import DevServer

ROOT = Path(__file__).resolve().parent.parent


async def serve(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    from pydantic import SecretStr
    from temporalio.client import Client
    from temporalio.worker import Worker

    from oms.config import Settings
    from oms.logging import configure_logging
    from oms.temporal import data_converter

    configure_logging(args.log_level, json=False)
    keys = SecretStr(os.environ["OMS_PAYLOAD_KEYS"])
    client = await Client.connect(
        args.address, data_converter=data_converter(Settings(payload_keys=keys))
    )
    db = None
    worker: Worker
    if args.kind == "orders":  # the OMS's worker modules are imported for the orders only
        from bench.orders_setup import order_worker
        from oms.connectors.carriers import SimulatedCarrier
        from oms.connectors.payment_simulator import SimulatedPaymentGateway
        from oms.db import fulfilment_profiles
        from oms.db.engine import Database
        from workers.main import Dependencies

        db = Database(args.database_url)
        deps = Dependencies(
            db=db,
            payments=SimulatedPaymentGateway(),
            carrier=SimulatedCarrier(),
            fulfilment_profiles=fulfilment_profiles.choose,
        )
        worker, sandbox = order_worker(client, args.task_queue, deps, args.sandbox)
    else:
        from bench.baseline import baseline_worker

        worker, sandbox = baseline_worker(client, args.task_queue), "default"
    terminated = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, terminated.set)
    async with worker:
        print(f"ready {sandbox}", flush=True)
        # Nobody reads the pipe from here on: what the SDK's core writes goes to stderr.
        os.dup2(2, 1)
        await terminated.wait()
    if db is not None:
        db.dispose()


@contextmanager
def worker_process(
    kind: str,
    address: str,
    task_queue: str,
    *,
    payload_keys: str,
    database_url: str | None = None,
    sandbox: str = "passthrough",
    log_level: str = "WARNING",
    timeout_s: float = 60,
) -> Iterator[tuple[int, str]]:
    """Start the worker, wait until it polls; yield its process id and the sandbox it runs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMS_PAYLOAD_KEYS": payload_keys}
    command = [
        sys.executable, "-m", "bench.worker_process", "--kind", kind, "--address", address,
        "--task-queue", task_queue, "--sandbox", sandbox, "--log-level", log_level,
    ]  # fmt: skip
    if database_url is not None:  # in the environment: a password stays out of `ps`
        env["OMS_BENCH_DATABASE_URL"] = database_url
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        # Until it writes "ready <sandbox>" (the SDK's core may log a line before it), or
        # stops writing: it died on the way.
        deadline = time.monotonic() + timeout_s
        line: list[str] = []
        while not line or line[0] != "ready":
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([process.stdout], [], [], left)[0]:
                raise RuntimeError(f"the {kind} worker did not start within {timeout_s}s")
            raw = process.stdout.readline()
            if not raw:
                raise RuntimeError(f"the {kind} worker exited before it was ready")
            line = raw.split()
        process.stdout.close()
        yield process.pid, line[1]
    finally:
        stop(process, timeout_s=30)


async def _started(
    procs: contextlib.ExitStack, starting: contextlib.AbstractContextManager[tuple[int, str]]
) -> tuple[int, str]:
    """Start a worker process on a thread and enter it into ``procs``, which stops it. A
    benchmark cancelled meanwhile waits for the start to end first: a thread cannot be
    cancelled, and a worker it started after ``procs`` closed would be left running."""
    entering = asyncio.ensure_future(asyncio.to_thread(procs.enter_context, starting))
    cancelled = False
    while not entering.done():
        try:
            await asyncio.shield(entering)
        except asyncio.CancelledError:
            cancelled = True  # however often: the start ends first
        except Exception:
            break
    if cancelled:
        raise asyncio.CancelledError()
    return entering.result()


@contextlib.asynccontextmanager
async def order_worker_for(
    args: argparse.Namespace,
    procs: contextlib.ExitStack,
    server: DevServer,
    task_queue: str,
    url: str,
    payload_keys: str,
) -> AsyncIterator[tuple[tuple[int, ...], str]]:
    """The order worker: ``args.worker_processes`` processes of their own (``--worker
    process``, as production runs ``oms worker``, scaled out), or in this process beside the
    storefront and the staff (``inprocess``: orders_cpu.py's timers need it here). Yields the
    worker processes' ids (none: this one) and the sandbox."""
    if args.worker == "process":
        started = [
            await _started(
                procs,
                worker_process(
                    "orders",
                    server.address,
                    task_queue,
                    payload_keys=payload_keys,
                    database_url=url,
                    sandbox=args.sandbox,
                    log_level=args.log_level,
                ),
            )
            for _ in range(args.worker_processes)
        ]
        yield tuple(pid for pid, _ in started), started[0][1]
        return
    from bench.orders_setup import order_worker
    from oms.connectors.carriers import SimulatedCarrier
    from oms.connectors.payment_simulator import SimulatedPaymentGateway
    from oms.db import fulfilment_profiles
    from oms.db.engine import Database
    from workers.main import Dependencies

    db = Database(url)
    deps = Dependencies(
        db=db,
        payments=SimulatedPaymentGateway(),
        carrier=SimulatedCarrier(),
        fulfilment_profiles=fulfilment_profiles.choose,
    )
    worker, sandbox = order_worker(server.client, task_queue, deps, args.sandbox)
    try:
        async with worker:
            yield (), sandbox
    finally:
        db.dispose()


@contextlib.asynccontextmanager
async def baseline_worker_for(
    args: argparse.Namespace, server: DevServer, task_queue: str, payload_keys: str
) -> AsyncIterator[tuple[int, ...]]:
    """The baseline's workers, where and as many as the order worker's (the same shape for
    both phases)."""
    if args.worker == "inprocess":
        from bench.baseline import baseline_worker

        async with baseline_worker(server.client, task_queue):
            yield ()
        return
    with contextlib.ExitStack() as procs:
        started = [
            await _started(
                procs,
                worker_process(
                    "baseline",
                    server.address,
                    task_queue,
                    payload_keys=payload_keys,
                    log_level=args.log_level,
                ),
            )
            for _ in range(args.worker_processes)
        ]
        try:
            yield tuple(pid for pid, _ in started)
        finally:
            await asyncio.to_thread(procs.close)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--kind", choices=("orders", "baseline"), required=True)
    p.add_argument("--address", required=True)
    p.add_argument("--task-queue", required=True)
    p.add_argument(
        "--database-url",
        default=os.environ.get("OMS_BENCH_DATABASE_URL"),
        help="the OMS database (default: $OMS_BENCH_DATABASE_URL)",
    )
    p.add_argument("--sandbox", default="passthrough")
    p.add_argument("--log-level", default="WARNING")
    args = p.parse_args()
    if args.kind == "orders" and not args.database_url:
        p.error("--kind orders needs --database-url")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
