"""How the worker's workflow sandbox is set up.

The sandbox stays on: it re-imports each workflow module for every run and stops a workflow
from reaching the clock, the network or the file system. What it re-imports costs time on
every run, so the modules that are deterministic by construction (the OMS's domain, contracts
and keys, and the workflows' own helpers) are passed through: imported once, shared by all
runs. ``bench/orders.py --sandbox`` measures the difference.
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

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


def workflow_runner(*, passthrough: bool = True) -> SandboxedWorkflowRunner:
    restrictions = SandboxRestrictions.default
    if passthrough:
        restrictions = restrictions.with_passthrough_modules(*PASSTHROUGH_MODULES)
    return SandboxedWorkflowRunner(restrictions=restrictions)
