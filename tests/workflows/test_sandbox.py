"""The worker's workflow sandbox (workers/sandbox.py) still guards workflow code: entering runs
through code compiled once changes nothing of what it lets through."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from temporalio import activity, workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workers.sandbox import CompiledSandboxRunner, ignores_context, workflow_runner

with workflow.unsafe.imports_passed_through():  # the sandbox re-imports this module
    from oms.config import Settings
    from oms.payload_keys import new_key
    from oms.temporal import data_converter


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


# -- serialization contexts ---------------------------------------------------------------------


@activity.defn
def shout(word: str) -> str:
    return word.upper()


@workflow.defn(sandboxed=True)
class CallsAnActivity:
    @workflow.run
    async def run(self, word: str) -> str:
        return await workflow.execute_activity(
            shout, word, start_to_close_timeout=timedelta(seconds=10)
        )


@dataclasses.dataclass
class ContextRecordingCodec(PayloadCodec, WithSerializationContext):
    """A codec that reads its context, as one keying payloads per activity would: it notes the
    context each payload it encodes came with."""

    encoded: list[tuple[str, bytes]] = dataclasses.field(default_factory=list)
    context: SerializationContext | None = None

    def with_context(self, context: SerializationContext) -> ContextRecordingCodec:
        return ContextRecordingCodec(encoded=self.encoded, context=context)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.encoded += [(type(self.context).__name__, p.data) for p in payloads]
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


def test_the_oms_converter_ignores_serialization_contexts_and_one_that_reads_them_does_not() -> (
    None
):
    sealed = data_converter(Settings(payload_keys=SecretStr(new_key("k1"))))
    plain = data_converter(Settings(payload_encryption=False))
    reading = dataclasses.replace(sealed, payload_codec=ContextRecordingCodec())

    assert ignores_context(sealed)
    assert ignores_context(plain)
    assert not ignores_context(reading)


async def test_a_converter_that_reads_contexts_still_gets_each_commands_own(
    time_env: WorkflowEnvironment,
) -> None:
    # The runner answers contexts from outside the sandbox only for a converter that ignores
    # them; given one that reads them, each payload still comes with its command's context.
    codec = ContextRecordingCodec()
    converter = dataclasses.replace(pydantic_data_converter, payload_codec=codec)
    client = Client(time_env.client.service_client, data_converter=converter)
    runner = workflow_runner(converter=converter)
    assert isinstance(runner, CompiledSandboxRunner)
    assert not runner.context_free
    queue = f"contexts-{uuid.uuid4()}"
    with ThreadPoolExecutor(max_workers=2) as pool:
        async with Worker(
            client,
            task_queue=queue,
            workflows=[CallsAnActivity],
            activities=[shout],
            activity_executor=pool,
            workflow_runner=runner,
        ):
            shouted = await client.execute_workflow(
                CallsAnActivity.run, "hello", id=f"ctx-{queue}", task_queue=queue
            )

    assert shouted == "HELLO"
    # The workflow scheduled the activity with its input sealed in the activity's context.
    assert ("ActivitySerializationContext", b'"hello"') in codec.encoded
    # And returned its result in its own.
    assert ("WorkflowSerializationContext", b'"HELLO"') in codec.encoded


def test_the_worker_built_for_the_oms_converter_takes_its_contexts_outside_the_sandbox() -> None:
    runner = workflow_runner(
        converter=data_converter(Settings(payload_keys=SecretStr(new_key("k"))))
    )

    assert isinstance(runner, CompiledSandboxRunner)
    assert runner.context_free
