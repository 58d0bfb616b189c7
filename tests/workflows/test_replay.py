"""Histories recorded by earlier code must replay with today's code: a change that breaks
one would break every order of that shape still running in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.fulfilment import FulfilmentWorkflow
from workflows.order import OrderWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
# Read up front: the event loop is no place for file I/O.
TEXTS = {p: p.read_text() for p in HISTORIES}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays_with_todays_workflow_code(path: Path) -> None:
    replayer = Replayer(
        workflows=[OrderWorkflow, FulfilmentWorkflow], data_converter=pydantic_data_converter
    )
    history = WorkflowHistory.from_json(path.stem, TEXTS[path])
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


def test_there_are_histories_to_replay() -> None:
    assert len(HISTORIES) >= 4
