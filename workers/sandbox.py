"""How the worker's workflow sandbox is set up.

The sandbox stays on: it re-imports each workflow module for every run and stops a workflow
from reaching the clock, the network or the file system. What it re-imports costs time on
every run, so the modules that are deterministic by construction (the OMS's domain, contracts
and keys, and the workflows' own helpers) are passed through: imported once, shared by all
runs. ``bench/orders.py --sandbox`` measures the difference.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from types import CodeType, ModuleType
from typing import Any, ClassVar

import temporalio.converter
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
    "oms.gateway_keys",
    "oms.metrics",
    "workflows.calls",
    "workflows.policies",
    "workflows.human_tasks",
    "workflows.order_steps",
)


# The packages whose modules the sandbox imports afresh for every run: the workflow classes'
# own modules (workflows.order, workflows.fulfilment, ...), which are not passed through.
RELOADED_PACKAGES: tuple[str, ...] = ("workflows",)


def workflow_runner(
    *,
    passthrough: bool = True,
    compiled: bool = True,
    converter: temporalio.converter.DataConverter | None = None,
) -> SandboxedWorkflowRunner:
    """The worker's sandbox. ``converter``: the worker's data converter; one that ignores
    serialization contexts spares every payload a trip into the sandbox (see below)."""
    restrictions = SandboxRestrictions.default
    if passthrough:
        restrictions = restrictions.with_passthrough_modules(*PASSTHROUGH_MODULES)
    if not compiled:  # the SDK's own instance: contexts always asked inside the sandbox
        return SandboxedWorkflowRunner(restrictions=restrictions)
    compile_workflow_modules_once(RELOADED_PACKAGES)
    runner = CompiledSandboxRunner(restrictions=restrictions)
    runner.context_free = converter is not None and ignores_context(converter)
    return runner


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
    context_free: bool = False

    def get_serialization_context(
        self, command_info: Any
    ) -> temporalio.converter.SerializationContext | None:
        if self.context_free:  # None: the worker's converter as it is, which ignores context
            return None
        return super().get_serialization_context(command_info)

    def get_external_store_context(
        self, command_info: Any
    ) -> temporalio.converter.StorageDriverStoreContext:
        if self.context_free:  # no external storage: the context is never read
            info = self.instance_details.info
            return temporalio.converter.StorageDriverStoreContext(
                target=temporalio.converter.StorageDriverWorkflowInfo(
                    namespace=info.namespace,
                    id=info.workflow_id,
                    run_id=info.run_id,
                    type=info.workflow_type,
                )
            )
        return super().get_external_store_context(command_info)

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

    context_free: bool = False

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        instance = _Instance(det, self.runner_class, self.restrictions)
        instance.context_free = self.context_free
        return instance


# -- serialization contexts, answered outside the sandbox --------------------------------------
#
# The SDK visits every payload of every activation and completion (six passes a workflow task)
# and, for each, asks the run's instance which serialization context its command has: for a
# sandboxed run, a trip into the sandbox with its importer applied (15% of the order worker's
# interpreter lock in a py-spy profile of bench/orders.py). A context only matters to a
# converter or codec that reads it, and to external storage. The OMS's converter (pydantic JSON,
# sealed by oms.codec) reads none and stores nothing outside: every context gives it the
# same converter back. For such a converter the instance answers from outside the sandbox, with
# what the SDK then uses as it is.


def ignores_context(converter: temporalio.converter.DataConverter) -> bool:
    """Whether ``converter`` is the same whatever serialization context it is given, and
    stores no payload outside (the SDK's ``with_context`` returns the converter itself when
    none of its parts takes a context)."""
    if converter.external_storage is not None:
        return False
    probes: list[temporalio.converter.SerializationContext] = [
        temporalio.converter.WorkflowSerializationContext(namespace="oms", workflow_id="probe"),
        temporalio.converter.ActivitySerializationContext(
            namespace="oms",
            activity_id="1",
            activity_type="probe",
            activity_task_queue="oms",
            workflow_id="probe",
            workflow_type="Probe",
            is_local=False,
        ),
        temporalio.converter.NexusSerializationContext(
            endpoint="probe", service="probe", operation="probe"
        ),
    ]
    return all(converter.with_context(probe) is converter for probe in probes)


# -- the workflow modules' code, compiled once per process ----------------------------------
#
# Each run imports its workflow's module afresh, and an import executes the module's code
# object, read from its ``__pycache__`` file when there is one. Where none is written
# (PYTHONDONTWRITEBYTECODE, as deploy/Dockerfile sets, or a read-only install) every run
# compiled the module's source again: a third of what starting a run cost the worker. The
# code object of a source text is immutable and the same every time it is compiled, so a
# module of these packages is compiled once per source text and executed afresh, as before,
# into each run's own module: what a run sees is unchanged, only the compile is not repeated.


class _CompiledOnceLoader(importlib.machinery.SourceFileLoader):
    """A source loader that keeps the code of each source text it compiled."""

    _code: ClassVar[dict[tuple[str, bytes], CodeType]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def source_to_code(  # type: ignore[override]
        self, data: bytes, path: str, *, _optimize: int = -1
    ) -> CodeType:
        key = (str(path), bytes(data))  # another text at the same path is compiled anew
        code = self._code.get(key)
        if code is None:
            code = super().source_to_code(data, path, _optimize=_optimize)
            with self._lock:
                self._code[key] = code
        return code


class _CompiledOnceFinder(importlib.abc.MetaPathFinder):
    """Finds the modules of ``packages`` as the path finder does, loaded by the loader above."""

    def __init__(self, packages: Sequence[str]) -> None:
        self.packages = frozenset(packages)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in self.packages:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = _CompiledOnceLoader(spec.loader.name, spec.loader.path)
        return spec


def compile_workflow_modules_once(packages: Sequence[str]) -> None:
    """Load these packages' modules through ``_CompiledOnceLoader`` from now on (once per
    process, whatever the number of workers)."""
    finders = [f for f in sys.meta_path if isinstance(f, _CompiledOnceFinder)]
    if not any(set(packages) <= f.packages for f in finders):
        sys.meta_path.insert(0, _CompiledOnceFinder(packages))
