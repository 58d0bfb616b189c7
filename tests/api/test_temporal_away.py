"""The API started while Temporal is away (issue 10): it stores orders and serves reads, and
answers 503 in its own error shape where it needs Temporal, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from pydantic import SecretStr

from api.app import create_app
from oms.config import Settings
from oms.db import api_keys, payments, refund_claims
from oms.db import orders as order_repo
from oms.db.engine import Database
from oms.db.tables import PaymentLedgerEntry
from oms.devserver import free_port
from oms.gateway_keys import capture_key
from oms.payload_keys import new_key
from oms.temporal import connect
from tests.api.conftest import STOCK, order_body
from tests.factories import seed


@dataclass
class Away:
    http: httpx.AsyncClient
    keys: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


@pytest.fixture
async def away(db: Database) -> AsyncIterator[Away]:
    seed(db, STOCK)
    with db.session() as s:
        keys = {
            role: api_keys.create_key(s, role=role, name=f"away-{role}")
            for role in ("storefront", "analyst", "admin")
        }
    # Nothing listens there: the API's lazy client never connects.
    settings = Settings(
        temporal_address=f"127.0.0.1:{free_port()}", payload_keys=SecretStr(new_key("k1"))
    )
    client = await connect(settings, lazy=True)
    app = create_app(settings, db=db, client=client)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://oms") as http:
        yield Away(http=http, keys=keys)


async def test_an_order_placed_while_temporal_is_away_is_stored_and_answered_503(
    away: Away, db: Database
) -> None:
    body = order_body()

    response = await away.http.post("/orders", json=body, headers=away.auth("storefront"))

    assert response.status_code == 503, response.text
    assert response.json()["code"] == "unavailable"
    assert response.headers["Retry-After"]
    with db.reading() as s:  # kept, for the retry or the worker's sweep to start
        row = order_repo.get_order(s, body["id"])
        assert row is not None
        assert row.status == "RECEIVED"
    read = await away.http.get(f"/orders/{body['id']}", headers=away.auth("analyst"))
    assert read.status_code == 200, read.text
    assert read.json()["status"] == "RECEIVED"


async def test_a_call_that_needs_temporal_answers_503_not_500(away: Away) -> None:
    body = order_body()
    await away.http.post("/orders", json=body, headers=away.auth("storefront"))

    cancel = await away.http.post(
        f"/orders/{body['id']}/cancel", json={}, headers=away.auth("storefront")
    )

    assert cancel.status_code == 503, cancel.text
    assert cancel.json()["code"] == "unavailable"


async def test_a_webhook_subscription_is_taken_while_temporal_is_away(away: Away) -> None:
    # The relay is started by the workers once Temporal is back; the subscription is stored.
    created = await away.http.post(
        "/webhooks/subscriptions",
        json={"url": "http://127.0.0.1:9/hooks", "events": ["order.*"]},
        headers=away.auth("admin"),
    )
    listed = await away.http.get("/webhooks/subscriptions", headers=away.auth("admin"))

    assert created.status_code == 201, created.text
    assert [s["id"] for s in listed.json()["items"]] == [created.json()["id"]]


async def test_an_order_edit_answers_503_while_temporal_is_away(away: Away) -> None:
    body = order_body()
    await away.http.post("/orders", json=body, headers=away.auth("storefront"))

    edit = await away.http.post(
        f"/orders/{body['id']}/lines/1/cancel",
        json={"reason_code": "customer_request"},
        headers=away.auth("analyst"),
    )

    assert edit.status_code == 503, edit.text
    assert edit.json()["code"] == "unavailable"


async def test_an_appeasement_whose_refund_cannot_start_gives_nothing_and_frees_its_room(
    away: Away, db: Database
) -> None:
    body = order_body()
    await away.http.post("/orders", json=body, headers=away.auth("storefront"))
    with db.session() as s:  # as if shipped and captured before Temporal went away
        payments.record(
            s,
            PaymentLedgerEntry(
                idempotency_key=capture_key(body["id"], f"{body['id']}.F1"),
                order_id=body["id"],
                operation="capture",
                outcome="succeeded",
                amount=4897,
                currency="EUR",
                authorization_id="auth-1",
                gateway_reference="cap-1",
            ),
        )
    url = f"/orders/{body['id']}/appeasements"
    ask = {"amount": 4897, "reason_code": "late_delivery", "note": "late"}
    headers = {**away.auth("analyst"), "Idempotency-Key": "cs-away"}

    first = await away.http.post(url, json=ask, headers=headers)
    again = await away.http.post(url, json=ask, headers=headers)

    assert (first.status_code, again.status_code) == (503, 503), again.text
    assert first.json()["code"] == "unavailable"
    listed = (await away.http.get(url, headers=away.auth("analyst"))).json()["items"]
    # Each attempt failed before any refund: the whole capture is still there to give back,
    # and the key asked anew.
    assert [(a["id"], a["status"], a["code"]) for a in listed] == [
        (f"{body['id']}.A1", "failed", "not_started"),
        (f"{body['id']}.A2", "failed", "not_started"),
    ]
    with db.reading() as s:
        assert refund_claims.left_to_refund(s, body["id"]) == 4897
