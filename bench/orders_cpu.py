"""bench/orders.py with thread-CPU timers on the order worker's parts: where its CPU goes.

Runs ``bench/orders.py`` unchanged (same orders, staff, baseline, figures) and times, with each
thread's own CPU clock, the worker's run creation (the sandbox's instance per run, by workflow
type), every workflow activation in the sandbox, and every activity (by name). The timers wrap
private functions of the Temporal SDK (checked against 1.35): a measuring aid, not part of the
OMS. Prints the benchmark's own output on stdout, then the timers as one JSON object on stderr
(each part: CPU seconds, calls, ms per call).

    python bench/orders_cpu.py --orders 200 --json
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import temporalio.worker._activity as sdk_activity
import temporalio.worker._workflow as sdk_workflow
from temporalio.worker.workflow_sandbox import _runner as sdk_sandbox

from bench import orders

CPU: Counter[str] = Counter()
CALLS: Counter[str] = Counter()
_lock = threading.Lock()


def _add(part: str, started: float) -> None:
    spent = time.thread_time() - started
    with _lock:
        CPU[part] += spent
        CALLS[part] += 1


def _timed_activity(run: Callable[..., Any]) -> Callable[..., Any]:
    def timed(info: Any, *args: Any) -> Any:
        started = time.thread_time()
        try:
            return run(info, *args)
        finally:
            _add(f"activity {info.activity_type}", started)

    return timed


def _timed_creation(create: Callable[..., Any]) -> Callable[..., Any]:
    def timed(self: Any, act: Any, init: Any) -> Any:
        started = time.thread_time()
        try:
            return create(self, act, init)
        finally:
            _add(f"run creation {init.workflow_type}", started)

    return timed


def _timed_activation(activate: Callable[..., Any]) -> Callable[..., Any]:
    def timed(self: Any, act: Any) -> Any:
        started = time.thread_time()
        try:
            return activate(self, act)
        finally:
            _add(f"activation {self.instance_details.defn.name}", started)

    return timed


def install() -> None:
    sdk_activity._execute_sync_activity = _timed_activity(sdk_activity._execute_sync_activity)  # type: ignore[assignment]
    workflows = sdk_workflow._WorkflowWorker
    workflows._create_workflow_instance = _timed_creation(workflows._create_workflow_instance)  # type: ignore[method-assign]
    # workers.sandbox's instance inherits activate from the SDK's.
    sdk_sandbox._Instance.activate = _timed_activation(sdk_sandbox._Instance.activate)  # type: ignore[method-assign]


def timers() -> dict[str, list[float]]:
    return {
        part: [round(CPU[part], 3), CALLS[part], round(1000 * CPU[part] / CALLS[part], 2)]
        for part in sorted(CPU)
    }


def main() -> int:
    install()
    # Its timers wrap the SDK in this process: the order worker must run here.
    code = orders.main([*sys.argv[1:], "--worker", "inprocess"])
    print(json.dumps(timers()), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
