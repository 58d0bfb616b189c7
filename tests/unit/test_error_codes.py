"""Every error code carries the HTTP status it is answered with."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from oms.domain.errors import ErrorCode, FieldError


@pytest.mark.parametrize("code", list(ErrorCode), ids=str)
def test_every_code_has_an_http_error_status(code: ErrorCode) -> None:
    assert HTTPStatus(code.http_status) >= 400


def test_a_missing_object_is_404_and_a_problem_of_the_input_422() -> None:
    for code in ErrorCode:
        if code.value.endswith("not_found"):
            assert code.http_status == 404, code
        if code.value.startswith(("unknown_", "duplicate_", "too_many_")):
            assert code.http_status == 422, code
    shape = {"required", "invalid_type", "invalid_format", "out_of_range", "invalid"}
    assert {c.value for c in ErrorCode if c.http_status == 422} >= shape


def test_a_state_conflict_is_409_and_auth_401_or_403() -> None:
    assert {c.value for c in ErrorCode if c.http_status == 409} >= {
        "order_conflict",
        "cancel_refused",
        "task_not_open",
        "invalid_state",
        "in_use",
    }
    assert (ErrorCode.UNAUTHENTICATED.http_status, ErrorCode.FORBIDDEN.http_status) == (401, 403)


def test_a_code_is_read_back_from_its_value_and_written_as_it() -> None:
    assert ErrorCode("order_not_found") is ErrorCode.ORDER_NOT_FOUND
    error = FieldError(field="lines[0].sku", code="unknown_sku", reason="no such SKU")
    assert error.code is ErrorCode.UNKNOWN_SKU
    assert error.model_dump(mode="json")["code"] == "unknown_sku"
