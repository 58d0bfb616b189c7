"""Settings read from the environment: durations in seconds or ISO 8601, and a bad variable
stops every `oms` command with one line naming it, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from oms.config import InvalidSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", timedelta(seconds=5)),
        ("0.5", timedelta(milliseconds=500)),
        ("20", timedelta(seconds=20)),
        ("PT5S", timedelta(seconds=5)),
        ("PT4H", timedelta(hours=4)),
        ("P3D", timedelta(days=3)),
        ("00:00:05", timedelta(seconds=5)),
    ],
)
def test_a_duration_setting_takes_seconds_or_iso_8601(
    monkeypatch: pytest.MonkeyPatch, text: str, expected: timedelta
) -> None:
    monkeypatch.setenv("OMS_ATP_WATCH_INTERVAL", text)
    monkeypatch.setenv("OMS_REVIEW_ESCALATE_AFTER", text)

    settings = load_settings()

    assert settings.atp_watch_interval == expected
    assert settings.review_escalate_after == expected


@pytest.mark.parametrize("text", ["soon", "-5", "5 minutes"])
def test_a_bad_duration_is_one_line_naming_the_variable_and_the_formats(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv("OMS_REVIEW_ESCALATE_AFTER", text)

    with pytest.raises(InvalidSettings) as refused:
        load_settings()

    [line] = str(refused.value.code).splitlines()
    assert line.startswith("oms: OMS_REVIEW_ESCALATE_AFTER=")
    assert "PT30S" in line
    assert "seconds" in line


def test_each_bad_variable_has_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMS_API_PORT", "eighty")
    monkeypatch.setenv("OMS_PICK_ESCALATE_AFTER", "later")

    with pytest.raises(InvalidSettings) as refused:
        load_settings()

    lines = str(refused.value.code).splitlines()
    assert [line.split("=")[0] for line in lines] == [
        "oms: OMS_API_PORT",
        "oms: OMS_PICK_ESCALATE_AFTER",
    ]


@pytest.mark.parametrize("command", [["env"], ["migrate"], ["worker"]])
def test_every_oms_command_stops_on_a_bad_setting_in_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    env = {**os.environ, "OMS_HOME": str(tmp_path), "OMS_ATP_WATCH_INTERVAL": "five"}

    done = subprocess.run(
        [sys.executable, "-c", "from oms.cli import main; main()", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("oms: OMS_ATP_WATCH_INTERVAL='five' is not valid")
