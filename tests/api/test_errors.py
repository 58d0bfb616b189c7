"""An error answer's status comes from its code."""

from __future__ import annotations

from api.errors import ApiError
from oms.domain.errors import DomainError, ErrorCode, FieldError


def test_an_error_is_answered_with_its_codes_status() -> None:
    missing = ApiError(ErrorCode.ORDER_NOT_FOUND, "no order O-1", "order_id")
    refused = ApiError.refused(DomainError(ErrorCode.PROFILE_PUBLISHED, "published", "version"))

    assert (missing.status, missing.body()["code"]) == (404, "order_not_found")
    assert (refused.status, refused.body()["field"]) == (409, "version")


def test_a_list_of_problems_of_the_input_is_422_whatever_each_fields_code() -> None:
    error = ApiError.invalid(
        [
            FieldError(field="locations[1]", code=ErrorCode.LOCATION_NOT_FOUND, reason="no X"),
            FieldError(field="name", code=ErrorCode.REQUIRED, reason="name is required"),
        ]
    )

    assert error.status == 422
    assert (error.body()["code"], error.body()["field"]) == ("location_not_found", "locations[1]")
    assert [e["code"] for e in error.body()["errors"]] == ["location_not_found", "required"]


def test_an_object_is_404_where_the_request_acts_on_it_and_422_where_a_body_names_it() -> None:
    acted_on = ApiError.missing(
        ErrorCode.CHANNEL_NOT_FOUND, "no channel 'x'", "channel_id", in_body=False
    )
    named = ApiError.missing(ErrorCode.CHANNEL_NOT_FOUND, "no channel 'x'", "channel", in_body=True)

    assert (acted_on.status, acted_on.body()["code"]) == (404, "channel_not_found")
    assert (named.status, named.body()["code"], named.body()["field"]) == (
        422,
        "channel_not_found",
        "channel",
    )
