"""Schemathesis over the API's own ``/openapi.json``: every operation, called with the key of
each role that may call it, answers a few generated requests (valid and broken ones) with no
5xx, only statuses it declares, and bodies, headers and content types as declared.

The API runs in-process on the test's event loop, beside a worker on the Temporal dev server
(``tests/api/conftest.py``), so a request that starts, queries or signals a workflow reaches a
real one: besides what it generates, each order operation is sent a real order (a new one to
place, a placed one to read and cancel), which no generated request would name.

Hypothesis draws the requests in a thread of its own and hands each to the loop: its ``@given``
cannot await, and the app, the Temporal client and the worker must all stay on that one loop.
The draws are derandomized: every run sends the same requests, so CI cannot flake on a lucky
one. ``OMS_FUZZ_EXAMPLES=40`` makes a deeper run by hand (several minutes).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import Api, order_body
from tests.api.test_role_matrix import KEYS, PUBLIC, RULES, SIGNED

# Generated requests per operation and role: about 700 in all, plus the real orders.
EXAMPLES = int(os.environ.get("OMS_FUZZ_EXAMPLES", "4"))
# Checks of the answer alone. Left out: the ones that send requests of their own through
# schemathesis's transport (ignored_auth, unsupported_method, missing_required_header,
# use_after_free...), which would not reach this in-process app; positive_data_acceptance, as
# a request valid by the schema alone names channels, SKUs and orders that do not exist, which
# the API rightly refuses (404, 422); and negative_data_rejection, as the API reads input the
# way pydantic does by default, which takes `true` for the number 1 and "0.0" in a query for a
# time (the Unix epoch), values the check counts as broken input wrongly accepted.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# A failure's report shows the request as curl: a generated body can be megabytes long.
SHOWN = 4000
BASE_URL = "http://oms"
PUBLIC_ROLE = "public"


def roles_for(method: str, path: str) -> list[str]:
    """The roles whose keys may call the operation (admin may call them all). Other roles' keys
    get 403 from the role check before anything else runs: the role matrix covers them."""
    allowed = RULES[(method, path)]
    if allowed is PUBLIC or allowed is SIGNED:  # a signed webhook unsigned: 401 or 422 alike
        return [PUBLIC_ROLE]
    return sorted({*allowed, "admin"})


def modes_for(role: str) -> list[GenerationMode]:
    """Broken input is refused the same whoever sends it (the body is validated before the
    route runs), so one role sends it; every role sends valid input, which reaches the route's
    own scoping of channels and locations."""
    if role in ("admin", PUBLIC_ROLE):
        return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return [GenerationMode.POSITIVE]


def real_requests(operation: APIOperation, placed_id: str) -> list[dict[str, Any]]:
    """Requests about real orders, as ``operation.Case`` keywords."""
    by_path: dict[tuple[str, str], list[dict[str, Any]]] = {
        ("POST", "/orders"): [{"body": order_body(), "media_type": "application/json"}],
        ("GET", "/orders/{order_id}"): [{"path_parameters": {"order_id": placed_id}}],
        ("GET", "/orders/{order_id}/sourcing"): [{"path_parameters": {"order_id": placed_id}}],
        ("POST", "/orders/{order_id}/cancel"): [{"path_parameters": {"order_id": placed_id}}],
    }
    return by_path.get((operation.method.upper(), operation.path), [])


async def test_every_operation_answers_as_its_openapi_document_says(api: Api) -> None:
    placed = order_body()
    await api.place(placed)
    document = (await api.http.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    # Each request carries its role's key; left to generate it, schemathesis would spend the
    # budget on requests without one (401, which the role matrix and test_auth cover).
    schema.config.generation.update(with_security_parameters=False)
    loop = asyncio.get_running_loop()

    def send(case: Case, headers: dict[str, str]) -> httpx.Response:
        # schemathesis serializes the case for requests, which makes the exact bytes sent.
        prepared = requests.Request(
            **case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
        ).prepare()
        call = api.http.request(
            prepared.method or case.method,
            prepared.url or "",
            headers=dict(prepared.headers),
            content=prepared.body,
        )
        return asyncio.run_coroutine_threadsafe(call, loop).result()

    def fuzz(operation: APIOperation, role: str) -> None:
        headers = {} if role == PUBLIC_ROLE else api.auth(KEYS[role])
        strategy = st.one_of(
            [operation.as_strategy(generation_mode=mode) for mode in modes_for(role)]
        )

        @settings(
            max_examples=EXAMPLES * len(modes_for(role)),
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case: Case) -> None:
            case.validate_response(send(case, headers), checks=CHECKS)

        for known in real_requests(operation, placed["id"]):
            check = example(case=operation.Case(**known))(check)
        check()

    def run_all() -> list[str]:
        failures = []
        for result in schema.get_all_operations():
            operation = result.ok()
            for role in roles_for(operation.method.upper(), operation.path):
                try:
                    fuzz(operation, role)
                except FailureGroup as failed:  # each operation is tried, every failure told
                    failures.append(f"{operation.label} as {role}: {failed}"[:SHOWN])
                except Exception as raised:  # the app raised: a plain 500 outside the tests
                    notes = "\n".join(getattr(raised, "__notes__", []))
                    failures.append(f"{operation.label} as {role}: {raised!r}\n{notes}"[:SHOWN])
        return failures

    failures = await asyncio.to_thread(run_all)

    assert not failures, "\n\n".join(failures)
