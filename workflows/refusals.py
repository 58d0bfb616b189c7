"""How a fulfilment's update refuses an action: an ``ApplicationError`` whose type is the API's
error code and whose detail names the field (``api.fulfilment_updates`` reads it back)."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from oms.domain.errors import ErrorCode


def refuse(code: ErrorCode, reason: str, field: str | None = None) -> ApplicationError:
    return ApplicationError(reason, {"field": field, "code": code.value}, type=code.value)
