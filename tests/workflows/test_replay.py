"""Histories recorded by earlier code must replay with today's code: a change that breaks
one would break every running workflow of that shape in production (docs/workflows.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from oms.config import Settings
from oms.payload_keys import new_key
from oms.temporal import data_converter
from workers.main import WORKFLOWS
from workers.sandbox import workflow_runner

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
# Read up front: the event loop is no place for file I/O. The file's stem is the workflow id.
RECORDED = {p.stem: WorkflowHistory.from_json(p.stem, p.read_text()) for p in HISTORIES}


def workflow_type(history: WorkflowHistory) -> str:
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


@pytest.mark.parametrize("workflow_id", RECORDED)
async def test_recorded_history_replays_with_todays_workflow_code(workflow_id: str) -> None:
    # The converter workers run with: payload encryption on. Every history recorded before it
    # holds plain payloads, which the codec passes through.
    converter = data_converter(Settings(payload_keys=SecretStr(new_key("replay"))))
    # And the worker's own sandbox: its workflow modules' code compiled once, its pure modules
    # passed through (workers/sandbox.py), as a worker replays a run it did not have cached.
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=converter, workflow_runner=workflow_runner()
    )
    result = await replayer.replay_workflow(RECORDED[workflow_id], raise_on_replay_failure=True)
    assert result.replay_failure is None


def test_every_workflow_type_the_worker_runs_has_a_recorded_history() -> None:
    # What @workflow.defn registered: the type name histories carry.
    names = {workflow._Definition.must_from_class(w).name for w in WORKFLOWS}
    recorded = {workflow_type(h) for h in RECORDED.values()}
    assert len(names) == 11
    assert names - recorded == set()
