"""How the worker's workflow sandbox is set up.

The sandbox stays on: it re-imports each workflow module for every run and stops a workflow
from reaching the clock, the network or the file system. What it re-imports costs time on
every run, so the modules that are deterministic by construction (the OMS's domain, contracts
and keys, and the workflows' own helpers) are passed through: imported once, shared by all
runs. ``bench/orders.py --sandbox`` measures the difference.
"""

from __future__ import annotations

import functools
import threading
from types import CodeType
from typing import Any

import temporalio.workflow
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.worker.workflow_sandbox._runner import _Instance as _SandboxInstance

# Pure code: no I/O, no clock, no randomness at import or call time (tests check that the
# workflow modules import nothing that does I/O).
PASSTHROUGH_MODULES: tuple[str, ...] = (
    "oms.domain",
    "oms.contracts",
    "oms.keys",
    "oms.metrics",
    "workflows.calls",
    "workflows.policies",
    "workflows.human_tasks",
    "workflows.order_steps",
)


def workflow_runner(*, passthrough: bool = True, compiled: bool = True) -> SandboxedWorkflowRunner:
    restrictions = SandboxRestrictions.default
    if passthrough:
        restrictions = restrictions.with_passthrough_modules(*PASSTHROUGH_MODULES)
    runner = CompiledSandboxRunner if compiled else SandboxedWorkflowRunner
    return runner(restrictions=restrictions)


# -- the sandbox's own snippets, compiled once -------------------------------------------------
#
# The SDK's sandbox enters a run by exec'ing short code strings (activate this activation,
# give the serialization context of this command, ...), several per workflow task and one per
# payload its converters visit; ``exec`` of a string compiles it every time. The strings are the
# SDK's own and few (one per entry point and workflow class), so compiling each once and
# exec'ing the code object runs exactly the same code, under the same importer and
# restrictions, without the compile.


@functools.lru_cache(maxsize=256)
def _compiled(code: str) -> CodeType:
    return compile(code, "workflow_sandbox.py", "exec")


class _Instance(_SandboxInstance):
    def _run_code(self, code: str, **extra_globals: Any) -> None:
        for k, v in extra_globals.items():
            self.globals_and_locals[k] = v
        try:
            temporalio.workflow.unsafe._set_in_sandbox(True)
            self._current_thread_id = threading.get_ident()
            exec(_compiled(code), self.globals_and_locals, self.globals_and_locals)
        finally:
            temporalio.workflow.unsafe._set_in_sandbox(False)
            self._current_thread_id = None
            for k in extra_globals:
                self.globals_and_locals.pop(k, None)


class CompiledSandboxRunner(SandboxedWorkflowRunner):
    """The SDK's sandbox, entering runs through code compiled once (see above)."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _Instance(det, self.runner_class, self.restrictions)
