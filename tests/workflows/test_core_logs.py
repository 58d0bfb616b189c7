"""The SDK core's own warnings reach the log as JSON lines of their own, through the one
logging handler, instead of being written to stdout between (or into) the OMS's lines."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

from temporalio import activity, workflow
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from oms.devserver import find_binary
from oms.logging import configure_logging
from oms.temporal import logging_runtime


@workflow.defn(sandboxed=False)
class Nothing:
    @workflow.run
    async def run(self) -> None:
        return None


@activity.defn
async def nothing() -> None:
    return None


async def test_a_core_warning_is_a_json_line_of_the_oms_log(tmp_path: Path) -> None:
    path = tmp_path / "oms.log"
    with path.open("w") as out:
        configure_logging("INFO", json=True, file=out)
        try:
            # The time-skipping server lacks a capability the core warns about when an
            # activity worker starts: a warning that always comes.
            env = await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=find_binary("temporal-test-server"),
                data_converter=pydantic_data_converter,
                runtime=logging_runtime(),
            )
            try:
                async with Worker(
                    env.client,
                    task_queue=str(uuid.uuid4()),
                    workflows=[Nothing],
                    activities=[nothing],
                ):
                    for _ in range(50):  # forwarded in batches every few milliseconds
                        out.flush()
                        if "temporalio.core" in path.read_text():
                            break
                        await asyncio.sleep(0.1)
            finally:
                await env.shutdown()
        finally:
            configure_logging("WARNING", json=False)

    records = [json.loads(line) for line in path.read_text().splitlines()]
    core = [r for r in records if r.get("logger") == "temporalio.core"]
    assert core, records
    assert any("activity_failure_include_heartbeat" in r["event"] for r in core)
    assert all(r["level"] in ("warning", "error") for r in core)
