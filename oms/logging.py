"""structlog set-up: one event name per line plus key-values, JSON when not on a terminal.

Inside activities, the Temporal context (workflow id, activity type, attempt) is bound on
every line by ``activity_context``; callers bind ``order_id`` and ``location_id``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog


def configure_logging(
    level: str = "INFO", json: bool | None = None, file: TextIO | None = None
) -> None:
    """Log to ``file`` (stderr by default); JSON unless writing to a terminal."""
    out = file or sys.stderr
    use_json = (not out.isatty()) if json is None else json
    renderer: Any = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    )
    # Lines from the standard library (Temporal's workflow.logger, uvicorn, the SDK) go through
    # the same renderer, with the workflow's ids lifted out of Temporal's `extra`.
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_logger_name,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                _workflow_extra,
            ],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    from temporalio import workflow

    # The run's details travel as fields (above), not pasted into the message.
    workflow.logger.workflow_info_on_message = False
    root.setLevel(level.upper())
    # Libraries' own INFO chatter (every HTTP request, every migration plugin) is noise here.
    for noisy in ("httpx", "httpcore", "alembic", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            _temporal_context,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=True,
    )


def _workflow_extra(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """workflow.logger puts the run's details and our key-values on the log record."""
    record = event.get("_record")
    if record is None:
        return event
    details = getattr(record, "temporal_workflow", None)
    if isinstance(details, dict):
        event.setdefault("workflow_id", details.get("workflow_id"))
        event.setdefault("workflow_type", details.get("workflow_type"))
    for key in ("order_id", "location_id", "fulfilment_id", "status"):
        value = getattr(record, key, None)
        if value is not None:
            event.setdefault(key, value)
    return event


def _temporal_context(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Add the running activity's workflow id and attempt, when there is one."""
    try:
        from temporalio import activity

        info = activity.info()
    except Exception:
        return event
    event.setdefault("workflow_id", info.workflow_id)
    event.setdefault("activity", info.activity_type)
    if info.attempt > 1:
        event.setdefault("attempt", info.attempt)
    return event


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
