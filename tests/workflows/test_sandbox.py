"""The worker's workflow sandbox (workers/sandbox.py) still guards workflow code: entering runs
through code compiled once changes nothing of what it lets through."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio import workflow
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workers.sandbox import CompiledSandboxRunner, workflow_runner


@workflow.defn(sandboxed=True)
class ReadsTheClock:
    @workflow.run
    async def run(self) -> str:
        return datetime.now(UTC).isoformat()  # not allowed in a workflow: not replayable


@workflow.defn(sandboxed=True)
class Deterministic:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(timedelta(seconds=1), summary="a durable timer")
        return workflow.now().isoformat()


async def test_the_worker_sandbox_refuses_what_would_not_replay_and_runs_what_would(
    time_env: WorkflowEnvironment,
) -> None:
    runner = workflow_runner()
    assert isinstance(runner, CompiledSandboxRunner)
    queue = f"sandbox-{uuid.uuid4()}"
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[ReadsTheClock, Deterministic],
        workflow_runner=runner,
    ):
        fine = await time_env.client.execute_workflow(
            Deterministic.run, id=f"fine-{queue}", task_queue=queue
        )
        assert datetime.fromisoformat(fine)
        handle = await time_env.client.start_workflow(
            ReadsTheClock.run,
            id=f"clock-{queue}",
            task_queue=queue,
            execution_timeout=timedelta(seconds=5),
        )
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        # The workflow task failed on the sandbox's refusal, not on anything else.
        failures = [
            e.workflow_task_failed_event_attributes.failure.message
            async for e in handle.fetch_history_events()
            if e.HasField("workflow_task_failed_event_attributes")
        ]
        assert failures
        assert "datetime.datetime.now" in failures[0]
