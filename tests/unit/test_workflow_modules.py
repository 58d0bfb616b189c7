"""What the workflow modules may load, and that the activities they call exist as declared."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing
from pathlib import Path

from temporalio import activity

from oms.connectors.carriers import SimulatedCarrier
from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.db.engine import Database
from workers.main import Dependencies, activities_for
from workflows import calls

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_MODULES = sorted(
    f"workflows.{p.stem}" for p in (ROOT / "workflows").glob("*.py") if p.stem != "__init__"
)


def test_importing_any_workflow_module_loads_no_database_or_http_library() -> None:
    code = (
        f"import {', '.join(WORKFLOW_MODULES)}; import sys; "
        "print(sorted({'sqlalchemy', 'sqlmodel', 'psycopg', 'httpx'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_no_workflow_module_imports_the_database_layer_or_the_connectors() -> None:
    for path in (ROOT / "workflows").glob("*.py"):
        text = path.read_text()
        for banned in ("oms.db", "oms.connectors", "from activities", "import activities"):
            assert banned not in text, f"{path.name} refers to {banned}"


def _declared() -> dict[str, typing.Callable[..., object]]:
    found = {}
    for _, fn in inspect.getmembers(calls, inspect.isfunction):
        defn = activity._Definition.from_callable(fn)
        if defn is not None and defn.name is not None:
            found[defn.name] = fn
    return found


def test_every_declared_activity_is_registered_with_the_same_argument_and_result() -> None:
    deps = Dependencies(
        db=Database("sqlite://"), payments=SimulatedPaymentGateway(), carrier=SimulatedCarrier()
    )
    registered = {}
    for fn in activities_for(deps):
        defn = activity._Definition.from_callable(fn)
        assert defn is not None
        assert defn.name is not None
        registered[defn.name] = fn
    declared = _declared()
    assert declared, "workflows.calls declares no activity"
    assert set(declared) == set(registered)
    for name, decl in declared.items():
        want = typing.get_type_hints(decl)
        have = typing.get_type_hints(registered[name])
        assert list(want.values()) == list(have.values()), name
