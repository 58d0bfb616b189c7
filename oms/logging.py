"""structlog set-up: one event name per line plus key-values, JSON when not on a terminal.

Every line of a process goes through one standard-library handler: structlog's own (rendered
by ``ProcessorFormatter``), the Temporal SDK's (``workflow.logger``, ``activity.logger``, the
core's forwarded lines), uvicorn's, Python's warnings and any library's. One handler writes
each record in one call under one lock, so lines logged at once from the activity thread
pool never share a line: in JSON, every line is one object.

Lines about an order carry ``order_id``. In an activity, the running activity's workflow id,
type and attempt are added to every structlog line (``_activity_context``); on the SDK's lines
they come from the record Temporal made (``_record_context``). Either way, the run of an order
or of one of its fulfilments names the order (``oms.keys.order_of_workflow``). Elsewhere
callers pass ``order_id`` and ``location_id`` themselves, as key-values or, in a workflow, in
``workflow.logger``'s ``extra``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

from oms.keys import order_of_workflow

Processor = Any  # structlog's processor type, loosely: (logger, method, event) -> event

# Everything a LogRecord has of its own; the rest of its attributes is the caller's `extra`.
_RECORD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
# Extras not worth a field: Temporal's details (lifted by _record_context), objects without a
# JSON form, and uvicorn's coloured copy of the message.
_SKIPPED_EXTRAS = frozenset(
    {
        "temporal_workflow",
        "temporal_activity",
        "workflow_info",
        "activity_info",
        "temporal_log",
        "color_message",
    }
)


def configure_logging(
    level: str = "INFO", json: bool | None = None, file: TextIO | None = None
) -> None:
    """Log to ``file`` (stderr by default); JSON unless writing to a terminal."""
    out = file or sys.stderr
    use_json = (not out.isatty()) if json is None else json
    shared: list[Processor] = [
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    rendering: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if use_json:
        # A traceback becomes one escaped string field; on a terminal the renderer prints it.
        rendering += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        rendering.append(structlog.dev.ConsoleRenderer())
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, _record_context], processors=rendering
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # warnings.warn writes to stderr by itself, several lines a warning.
    logging.captureWarnings(True)
    from temporalio import activity, workflow

    # The run's details travel as fields (_record_context), not pasted into the message.
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
    # Libraries' own INFO chatter (every HTTP request, every migration plugin) is noise here.
    for noisy in ("httpx", "httpcore", "alembic", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            # By the standard logger's level, read on each call: a reconfigured level applies
            # to loggers made (and cached) before.
            structlog.stdlib.filter_by_level,
            structlog.contextvars.merge_contextvars,
            *shared,
            _activity_context,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )


def _run_fields(
    event: MutableMapping[str, Any],
    workflow_id: Any,
    workflow_type: Any = None,
    activity_type: Any = None,
    attempt: Any = None,
) -> None:
    """The run a line comes from, and the order that run is about."""
    if not isinstance(workflow_id, str):
        return
    event.setdefault("workflow_id", workflow_id)
    if workflow_type is not None:
        event.setdefault("workflow_type", workflow_type)
    if activity_type is not None:
        event.setdefault("activity", activity_type)
    if isinstance(attempt, int) and attempt > 1:
        event.setdefault("attempt", attempt)
    order_id = order_of_workflow(workflow_id)
    if order_id is not None:
        event.setdefault("order_id", order_id)


def _record_context(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A standard-library record's ``extra`` as fields, and the run Temporal put on it
    (``workflow.logger`` and the SDK's workflow lines: ``temporal_workflow``;
    ``activity.logger``: ``temporal_activity``)."""
    record = event.get("_record")
    if record is None:
        return event
    for key, value in record.__dict__.items():
        if key not in _RECORD_ATTRS and key not in _SKIPPED_EXTRAS and not key.startswith("_"):
            event.setdefault(key, value)
    run = getattr(record, "temporal_activity", None)
    if isinstance(run, Mapping):
        _run_fields(
            event, run.get("workflow_id"), None, run.get("activity_type"), run.get("attempt")
        )
    run = getattr(record, "temporal_workflow", None)
    if isinstance(run, Mapping):
        _run_fields(event, run.get("workflow_id"), run.get("workflow_type"))
    return event


def _activity_context(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The running activity's workflow id, type and attempt, when there is one."""
    try:
        from temporalio import activity

        info = activity.info()
    except Exception:
        return event
    _run_fields(event, info.workflow_id, None, info.activity_type, info.attempt)
    return event


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
