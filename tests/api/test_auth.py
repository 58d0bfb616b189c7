"""Every call carries an API key; each role reaches its own endpoints, admin all of them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from oms.db import api_keys
from oms.db.tables import ApiKey
from tests.api.conftest import Api, error_of, full_pick, order_body

# One call per endpoint that needs a key: (method, url, body).
ENDPOINTS: list[tuple[str, str, Any]] = [
    ("POST", "/orders", {}),
    ("GET", "/orders", None),
    ("GET", "/orders/O-1", None),
    ("POST", "/orders/O-1/cancel", None),
    ("GET", "/tasks", None),
    ("POST", "/tasks/T-1/complete", {"decision": "approve", "reason": "ok"}),
    ("POST", "/tasks/T-1/claim", None),
    ("GET", "/locations/ST-OPERA/fulfilments", None),
    ("POST", "/fulfilments/F-1/pick", {"lines": [{"line_id": "1", "picked": 1}]}),
    ("POST", "/fulfilments/F-1/pack", {"parcels": [{"weight_grams": 1}]}),
    ("POST", "/fulfilments/F-1/collected", None),
]


def _ids(endpoints: list[tuple[str, str, Any]]) -> list[str]:
    return [f"{method} {url}" for method, url, _ in endpoints]


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS, ids=_ids(ENDPOINTS))
async def test_a_call_without_a_key_is_unauthenticated(
    api: Api, method: str, url: str, body: Any
) -> None:
    response = await api.http.request(method, url, json=body)

    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    error = error_of(response)
    assert error["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "header",
    ["Bearer oms_storefront_nope_0000", "Bearer ", "Basic dXNlcjpwYXNz", "oms_storefront_x"],
)
async def test_a_wrong_key_is_unauthenticated(api: Api, header: str) -> None:
    response = await api.http.get("/orders", headers={"Authorization": header})

    assert response.status_code == 401, response.text
    assert error_of(response)["code"] == "unauthenticated"


async def test_a_revoked_key_is_unauthenticated(api: Api) -> None:
    with api.db.session() as s:
        key = api_keys.create_key(s, role="storefront", name="old-shop")
        row = api_keys.authenticate(s, key, datetime.now(UTC))
        assert isinstance(row, ApiKey)
        row.revoked = True
        s.add(row)

    response = await api.http.get("/orders", headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 401, response.text
    assert error_of(response)["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("role", "method", "url", "body"),
    [
        ("opera", "POST", "/orders", "an order"),
        ("opera", "GET", "/orders", None),
        ("opera", "GET", "/tasks", None),
        ("storefront", "GET", "/tasks", None),
        ("storefront", "POST", "/tasks/T-1/complete", {"decision": "approve", "reason": "ok"}),
        ("storefront", "GET", "/locations/ST-OPERA/fulfilments", None),
        ("analyst", "POST", "/orders", "an order"),
        ("analyst", "POST", "/fulfilments/F-1/pick", {"lines": [{"line_id": "1", "picked": 1}]}),
        ("integration", "GET", "/tasks", None),
    ],
)
async def test_a_key_without_the_role_is_forbidden(
    api: Api, role: str, method: str, url: str, body: Any
) -> None:
    payload = order_body() if body == "an order" else body

    response = await api.http.request(method, url, json=payload, headers=api.auth(role))

    assert response.status_code == 403, response.text
    error = error_of(response)
    assert error["code"] == "forbidden"
    assert role.replace("opera", "store") in error["reason"]


async def test_a_forbidden_answer_says_which_keys_may_in_words(api: Api) -> None:
    response = await api.http.post("/orders", json=order_body(), headers=api.auth("analyst"))

    assert error_of(response)["reason"] == (
        "an analyst key cannot do this; it takes an admin or storefront key"
    )


async def test_a_forbidden_order_is_not_placed(api: Api) -> None:
    body = order_body()

    response = await api.http.post("/orders", json=body, headers=api.auth("opera"))

    assert response.status_code == 403
    stored = await api.http.get(f"/orders/{body['id']}", headers=api.auth("analyst"))
    assert stored.status_code == 404


async def test_an_admin_key_can_do_everything(api: Api) -> None:
    admin = api.auth("admin")
    body = order_body()

    placed = await api.http.post("/orders", json=body, headers=admin)
    assert placed.status_code == 201, placed.text
    fulfilment = await api.until_fulfilment(body["id"], "AWAITING_PICK", role="admin")
    read = await api.http.get(f"/orders/{body['id']}", headers=admin)
    listed = await api.http.get("/orders", headers=admin)
    tasks = await api.http.get("/tasks", headers=admin)
    bastille = await api.http.get("/locations/ST-BASTILLE/fulfilments", headers=admin)
    picked = await api.http.post(
        f"/fulfilments/{fulfilment['id']}/pick", json=full_pick(fulfilment), headers=admin
    )
    packed = await api.http.post(
        f"/fulfilments/{fulfilment['id']}/pack",
        json={"parcels": [{"weight_grams": 500}]},
        headers=admin,
    )

    assert read.status_code == 200
    assert read.json()["order_id"] == body["id"]
    assert [o["order_id"] for o in listed.json()["items"]] == [body["id"]]
    assert tasks.status_code == 200
    assert [t["kind"] for t in tasks.json()["items"]] == ["pick"]
    assert (bastille.status_code, bastille.json()) == (200, {"items": []})
    assert (picked.status_code, picked.json()["status"]) == (200, "PICKED")
    assert (packed.status_code, packed.json()["status"]) == (200, "PACKED")
    done = await api.until(body["id"], lambda v: v["status"] == "COMPLETED", role="admin")
    assert done["timeline"][-1]["type"] == "order_completed"

    other = order_body()
    await api.place(other)
    cancelled = await api.http.post(f"/orders/{other['id']}/cancel", headers=admin)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["accepted"] is True
