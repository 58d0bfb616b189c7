"""The OpenAPI document declares every answer an operation can give, with the error body.

Every answer the API tests receive is checked against it too (``tests/api/conftest.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.app import create_app
from api.edge import signed
from oms.config import Settings

ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorBody"}
Operation = tuple[str, str, dict[str, Any]]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    schema: dict[str, Any] = create_app(Settings()).openapi()
    return schema


def operations(document: dict[str, Any]) -> Iterator[Operation]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def declared(operation: dict[str, Any]) -> set[str]:
    return set(operation["responses"])


def test_every_operation_that_takes_a_key_declares_401_and_403(document: dict[str, Any]) -> None:
    keyed = [(m, p, op) for m, p, op in operations(document) if op.get("security")]
    keyless = [(m, p) for m, p, op in operations(document) if not op.get("security")]

    # For load balancers and Prometheus; and webhooks in, signed by their sender instead.
    assert sorted(keyless) == [
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("POST", "/webhooks/carriers/{carrier}"),
        ("POST", "/webhooks/payments/{gateway}"),
        ("POST", "/webhooks/pos"),
        ("POST", "/webhooks/wms"),
    ]
    assert [(m, p) for m, p, op in keyed if not {"401", "403"} <= declared(op)] == []


def test_every_operation_that_takes_input_declares_422(document: dict[str, Any]) -> None:
    with_input = [
        (m, p, op)
        for m, p, op in operations(document)
        if op.get("parameters") or op.get("requestBody")
    ]

    assert with_input
    assert [(m, p) for m, p, op in with_input if "422" not in declared(op)] == []


def test_every_error_answer_is_the_error_body(document: dict[str, Any]) -> None:
    errors = [
        (m, p, status, response)
        for m, p, op in operations(document)
        for status, response in op["responses"].items()
        if int(status) >= 400 and p != "/healthz"
    ]

    assert [
        (m, p, status)
        for m, p, status, response in errors
        if response["content"]["application/json"]["schema"] != ERROR_SCHEMA
    ] == []
    assert "HTTPValidationError" not in document["components"]["schemas"]
    codes = document["components"]["schemas"]["ErrorCode"]["enum"]
    assert {"order_not_found", "unauthenticated", "file_too_large"} <= set(codes)


def test_every_operation_that_takes_an_idempotency_key_declares_its_reuse(
    document: dict[str, Any],
) -> None:
    keyed = [
        (m, p, op)
        for m, p, op in operations(document)
        if any(param["name"] == "Idempotency-Key" for param in op.get("parameters", []))
    ]

    assert len(keyed) == 5
    assert [
        (m, p)
        for m, p, op in keyed
        if "`idempotency_key_reused`" not in op["responses"]["422"]["description"]
    ] == []


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("POST", "/orders", {"200", "201", "409", "422", "503"}),
        ("GET", "/orders/{order_id}", {"404"}),
        ("POST", "/orders/{order_id}/cancel", {"404", "409", "503"}),
        ("POST", "/tasks/{task_id}/complete", {"404", "409", "503"}),
        ("POST", "/fulfilments/{fulfilment_id}/pick", {"404", "409", "422", "503"}),
        ("PUT", "/carts/{cart_id}/hold", {"409", "422", "503"}),
        ("POST", "/inventory/syncs", {"413", "415", "422", "503"}),
        ("GET", "/inventory/{sku}", {"404"}),
        ("DELETE", "/networks/{network_id}", {"404", "409"}),
        ("PUT", "/fulfilment/profiles/{profile_id}/versions/{version}", {"404", "409", "422"}),
        ("GET", "/fulfilment/profiles/in-force", {"404", "422"}),
        ("GET", "/healthz", {"200", "503"}),
    ],
)
def test_an_operation_declares_its_own_refusals(
    document: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    assert statuses <= set(document["paths"][path][method.lower()]["responses"])


def test_every_reference_in_the_document_names_a_schema_it_holds(
    document: dict[str, Any],
) -> None:
    # A client generated from the document fails on a reference to nothing (two enums of one
    # name, or a body's nested models no route registered, each left one behind).
    text = json.dumps(document)
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', text))

    assert refs
    assert sorted(refs - set(document["components"]["schemas"])) == []


def test_every_operation_with_a_json_body_declares_415(document: dict[str, Any]) -> None:
    # Signed webhooks read their bytes themselves: the signature is their contract.
    with_json = [
        (m, p, op)
        for m, p, op in operations(document)
        if "application/json" in op.get("requestBody", {}).get("content", {}) and not signed(p)
    ]

    assert ("POST", "/orders") in [(m, p) for m, p, _op in with_json]
    assert [(m, p) for m, p, op in with_json if "415" not in declared(op)] == []
    assert "415" not in declared(document["paths"]["/orders"]["get"])


def _body_schema(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    ref = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    name = ref["$ref"].removeprefix("#/components/schemas/")
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


@pytest.mark.parametrize(
    ("path", "wrapper", "fields"),
    [
        ("/inventory/positions", "rows", {"sku", "location_id", "on_hand"}),
        ("/inventory/deltas", "deltas", {"event_id", "sku", "location_id", "delta"}),
        ("/products", "rows", {"sku"}),
    ],
)
def test_a_batch_declares_the_schema_of_its_rows(
    document: dict[str, Any], path: str, wrapper: str, fields: set[str]
) -> None:
    items = _body_schema(document, "post", path)["properties"][wrapper]["items"]

    assert set(items["required"]) == fields
    assert fields <= set(items["properties"])
    assert items["additionalProperties"] is False
    assert '"$ref"' not in json.dumps(items)  # written in place, not left dangling


def test_an_object_a_body_names_is_declared_among_the_input_problems(
    document: dict[str, Any],
) -> None:
    cart = document["paths"]["/carts/{cart_id}/hold"]["put"]["responses"]
    options = document["paths"]["/availability/options"]["post"]["responses"]
    read = document["paths"]["/availability"]["get"]["responses"]

    assert "channel_not_found" in cart["422"]["description"]
    assert "channel_not_found" in options["422"]["description"]
    assert "channel_not_found" in read["404"]["description"]  # a read's query names it
