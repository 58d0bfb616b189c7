"""What bench/orders.py measures: timed phases, percentiles, history counts, load."""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

T = TypeVar("T")

LOCAL_ACTIVITY_MARKER = "core_local_activity"


def pct(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Phase:
    """One timed run of workflows: wall time, per-workflow latencies and what went wrong."""

    started: int
    duration_s: float
    latencies_ms: list[float]
    failures: list[str] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        return len(self.latencies_ms) / self.duration_s if self.duration_s else 0.0

    def pct(self, p: float) -> float | None:
        return pct(self.latencies_ms, p)


@dataclass
class History:
    events: int = 0
    activities: int = 0
    local_activities: int = 0
    workflow_tasks: int = 0

    def __add__(self, other: History) -> History:
        return History(
            self.events + other.events,
            self.activities + other.activities,
            self.local_activities + other.local_activities,
            self.workflow_tasks + other.workflow_tasks,
        )

    @property
    def all_activities(self) -> int:
        return self.activities + self.local_activities


async def history_of(client: Client, workflow_id: str) -> History:
    hist = await client.get_workflow_handle(workflow_id).fetch_history()
    events = hist.events
    kinds = [e.event_type for e in events]
    return History(
        events=len(events),
        activities=kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
        local_activities=sum(
            1
            for e in events
            if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and e.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
        ),
        workflow_tasks=kinds.count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    )


def sample(items: Sequence[T], n: int) -> list[T]:
    """Up to n items spread evenly over the run (early, middle and late orders alike)."""
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds a process has used so far (Linux only; None elsewhere or once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); we split after field 2.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> list[float] | None:
    """The machine's 1, 5 and 15 minute load averages: another load skews every figure."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


def ms(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


@dataclass
class Meter:
    """CPU seconds of this process, the dev server, the API and the worker processes (summed;
    None when the worker runs in this process), and the load, over a phase."""

    server_pid: int
    api_pid: int | None = None
    worker_pids: tuple[int, ...] = ()
    start: tuple[float | None, ...] = ()
    load_before: list[float] | None = None
    load_after: list[float] | None = None
    used: tuple[float | None, ...] = (None, None, None, None)

    def _now(self) -> tuple[float | None, ...]:
        others = (self.server_pid, self.api_pid)
        each = [process_cpu_s(p) for p in self.worker_pids]
        workers = sum(c for c in each if c is not None) if each and None not in each else None
        return (
            time.process_time(),
            *(process_cpu_s(p) if p is not None else None for p in others),
            workers,
        )

    def __enter__(self) -> Meter:
        self.load_before = load_average()
        self.start = self._now()
        return self

    def __exit__(self, *_: object) -> None:
        end = self._now()
        self.used = tuple(
            round(b - a, 2) if a is not None and b is not None else None
            for a, b in zip(self.start, end, strict=True)
        )
        self.load_after = load_average()
