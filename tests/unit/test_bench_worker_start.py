"""The benchmark's worker processes start on a thread (bench/worker_process.py): a benchmark
cancelled while one is starting still stops it, rather than leave it polling for ever."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from bench.worker_process import _started


async def test_a_worker_starting_when_the_benchmark_is_cancelled_is_stopped_all_the_same() -> None:
    events: list[str] = []
    entering = threading.Event()

    @contextlib.contextmanager
    def slow_worker() -> Iterator[tuple[int, str]]:
        entering.set()
        threading.Event().wait(0.3)  # the process takes its time to say it is ready
        events.append("started")
        try:
            yield 42, "passthrough"
        finally:
            events.append("stopped")

    async def benchmark() -> None:
        with contextlib.ExitStack() as procs:
            await _started(procs, slow_worker())
            await asyncio.sleep(60)

    task = asyncio.ensure_future(benchmark())
    await asyncio.to_thread(entering.wait)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

    assert events == ["started", "stopped"]
