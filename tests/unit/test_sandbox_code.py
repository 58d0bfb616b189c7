"""The worker's sandbox imports each run's workflow module afresh; its code is compiled once per
source text (workers/sandbox.py), so a run still gets a module of its own."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from workers import sandbox


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "wfpkg_under_test"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "flow.py").write_text("RUNS: list[int] = []\nRUNS.append(1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # as PYTHONDONTWRITEBYTECODE=1
    sandbox.compile_workflow_modules_once(["wfpkg_under_test"])
    yield root
    for name in [m for m in sys.modules if m.startswith("wfpkg_under_test")]:
        del sys.modules[name]


def fresh(name: str) -> ModuleType:
    """The module imported anew, as the sandbox does for each run."""
    sys.modules.pop(name, None)
    spec = importlib.util.find_spec(name)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_import_runs_the_module_afresh_from_code_compiled_once(package: Path) -> None:
    first, second = fresh("wfpkg_under_test.flow"), fresh("wfpkg_under_test.flow")
    # Two modules, each with its own state: what one run changed, the next does not see.
    assert first is not second
    assert first.RUNS == [1]
    assert second.RUNS == [1]
    assert first.RUNS is not second.RUNS
    # One code object for both: the source was compiled once.
    assert first.__spec__ is not None
    assert isinstance(first.__spec__.loader, sandbox._CompiledOnceLoader)
    path = str(package / "flow.py")
    assert sum(1 for p, _ in sandbox._CompiledOnceLoader._code if p == path) == 1


def test_a_changed_source_is_compiled_again(package: Path) -> None:
    assert fresh("wfpkg_under_test.flow").RUNS == [1]
    (package / "flow.py").write_text("RUNS: list[int] = [2]\n")
    assert fresh("wfpkg_under_test.flow").RUNS == [2]
