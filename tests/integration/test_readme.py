"""The README runs as written: its ```sh blocks, in order, in one bash, against `oms dev`
started on free ports with a fresh OMS_HOME, from a directory where `.venv/bin` is this
Python's. A block fenced ```sh no-run is shown to readers and never run (the commands that
start a stack: this test starts its own)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from oms.devserver import free_port
from tests.integration.test_oms_dev import oms_dev

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = re.compile(r"^```sh(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

# A command that gets an HTTP error has failed for its reader, even though curl exits 0.
PRELUDE = """\
set -euo pipefail
trap 'echo "README command failed: $BASH_COMMAND" >&2' ERR
curl() { command curl --fail-with-body "$@"; }
"""


def shell_blocks(markdown: str) -> tuple[list[str], list[str]]:
    """The blocks to run and the blocks marked no-run, in the order they appear."""
    run: list[str] = []
    skipped: list[str] = []
    for block in FENCE.finditer(markdown):
        (skipped if "no-run" in block["info"].split() else run).append(block["body"])
    return run, skipped


def test_only_the_commands_that_start_a_stack_are_kept_from_running() -> None:
    run, skipped = shell_blocks(README.read_text())

    assert run, "the README has no shell block to run"
    assert len(skipped) <= 2
    for block in skipped:
        commands = [line for line in block.splitlines() if line.strip()]
        assert all(re.search(r"\bmake (dev|test)\b", c) for c in commands), block


def test_the_readme_runs_as_written_against_a_dev_stack(tmp_path: Path) -> None:
    run, _ = shell_blocks(README.read_text())
    home = tmp_path / "home"
    workdir = tmp_path / "checkout"
    workdir.mkdir()
    # `.venv/bin/oms` and `.venv/bin/temporal`, as in a checkout after `make dev`.
    (workdir / ".venv").symlink_to(Path(sys.executable).parent.parent)
    ports = {
        "OMS_API_PORT": free_port(),
        "OMS_TEMPORAL_PORT": free_port(),
        "OMS_UI_PORT": free_port(),
    }
    # What a reader's second terminal holds: the stack's settings, nothing of Temporal's.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMS_", "TEMPORAL_"))}
    env.update({"OMS_HOME": str(home), **{k: str(v) for k, v in ports.items()}})
    script = PRELUDE + "\n".join(run)

    with oms_dev(home, ports):
        try:
            done = subprocess.run(
                ["bash", "-c", script],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
        except subprocess.TimeoutExpired as exc:
            # What ran so far; it comes as bytes even in text mode.
            told = [
                x.decode(errors="replace") if isinstance(x, bytes) else x or ""
                for x in (exc.stdout, exc.stderr)
            ]
            pytest.fail("the README did not finish within 300 s:\n" + "\n".join(told))

    out = done.stdout
    assert done.returncode == 0, f"a README command failed:\n{out}\n{done.stderr}"
    assert "COMPLETED captured 14497" in out
    # Camille was told it was confirmed, then ready for collection.
    assert "order_confirmed ready_for_collection" in out
    assert f"API at http://127.0.0.1:{ports['OMS_API_PORT']}" in out
    # The Temporal CLI listed the run (a row: status, workflow id, type), not only the URL.
    assert re.search(r"order-WEB-1002\s+OrderWorkflow", out), out
    assert "orders by status: COMPLETED=20" in out
    assert re.search(r"fraud review: [1-9]\d* of 20 orders", out), out
