"""The codec endpoint the Temporal UI decodes with: analysts and admins open what the OMS
sealed; the UI's origin gets CORS; with the key in the path, a UI that sends no header can."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api.app import create_app
from oms.codec import ENCODING, KEY_ID
from oms.config import Settings
from oms.db import api_keys
from oms.db.engine import Database
from oms.devserver import free_port
from oms.payload_keys import new_key
from oms.temporal import data_converter
from tests.api.conftest import error_of
from tests.factories import order

UI = "http://localhost:8233"
EMAIL = b"alice@example.com"
Json = dict[str, Any]


def as_json(payload: Payload) -> Json:
    """A payload as the Temporal UI sends it."""
    b64 = base64.b64encode
    return {
        "metadata": {k: b64(v).decode() for k, v in payload.metadata.items()},
        "data": b64(payload.data).decode(),
    }


def from_json(item: Json) -> Payload:
    b64 = base64.b64decode
    return Payload(
        metadata={k: b64(v) for k, v in item["metadata"].items()}, data=b64(item["data"])
    )


@dataclass
class Codec:
    http: httpx.AsyncClient
    keys: dict[str, str]
    plain: Payload  # an order as the pydantic converter writes it, before any codec

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    async def call(self, op: str, payloads: list[Payload], role: str = "analyst") -> Any:
        body = {"payloads": [as_json(p) for p in payloads]}
        return await self.http.post(f"/codec/{op}", json=body, headers=self.auth(role))


async def codec_api(db: Database, name: str = "test", **settings: Any) -> AsyncIterator[Codec]:
    config = Settings(payload_keys=SecretStr(new_key("k1")), **settings)
    # Never connects: the codec endpoint needs the client's converter, not the server.
    client = await Client.connect(
        f"127.0.0.1:{free_port()}", data_converter=data_converter(config), lazy=True
    )
    with db.session() as s:
        keys = {
            role: api_keys.create_key(s, role=role, name=f"{name}-{role}")
            for role in ("storefront", "analyst", "integration", "admin")
        }
        keys["store"] = api_keys.create_key(
            s, role="store", name=f"{name}-opera", location_id="ST-OPERA"
        )
    (plain,) = await pydantic_data_converter.encode([order("CODEC-1")])
    app = create_app(config, db=db, client=client)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://oms") as http:
        yield Codec(http=http, keys=keys, plain=plain)


@pytest.fixture
async def codec(db: Database) -> AsyncIterator[Codec]:
    async for made in codec_api(db):
        yield made


async def test_an_analyst_encodes_and_decodes_back_what_the_oms_seals(codec: Codec) -> None:
    encoded = await codec.call("encode", [codec.plain])
    assert encoded.status_code == 200, encoded.text
    (sealed,) = [from_json(p) for p in encoded.json()["payloads"]]
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == b"k1"
    assert EMAIL not in sealed.data

    decoded = await codec.call("decode", [sealed, codec.plain], role="admin")
    assert decoded.status_code == 200, decoded.text
    assert [from_json(p) for p in decoded.json()["payloads"]] == [codec.plain, codec.plain]


async def test_an_empty_list_may_be_left_out_as_protobuf_json_leaves_it(codec: Codec) -> None:
    # The temporal CLI encodes a query without arguments as {}.
    answer = await codec.http.post("/codec/encode", json={}, headers=codec.auth("analyst"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"payloads": []}


async def test_only_analysts_and_admins_may_open_payloads(codec: Codec) -> None:
    for role in ("storefront", "store", "integration"):
        for op in ("decode", "encode"):
            refused = await codec.call(op, [codec.plain], role=role)
            assert refused.status_code == 403, (role, op)
            assert error_of(refused)["code"] == "forbidden"
    body = {"payloads": [as_json(codec.plain)]}
    anonymous = await codec.http.post("/codec/decode", json=body)
    assert anonymous.status_code == 401


async def test_a_payload_that_does_not_authenticate_is_refused_with_its_place(
    codec: Codec,
) -> None:
    (sealed,) = [
        from_json(p) for p in (await codec.call("encode", [codec.plain])).json()["payloads"]
    ]
    altered = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + b"\x00")
    foreign = Payload(metadata={"encoding": ENCODING, KEY_ID: b"gone"}, data=sealed.data)

    refused = await codec.call("decode", [codec.plain, altered, foreign])

    assert refused.status_code == 422
    errors = error_of(refused)["errors"]
    assert [e["field"] for e in errors] == ["payloads[1]", "payloads[2]"]
    assert "'gone'" in errors[1]["reason"]
    malformed = await codec.http.post(
        "/codec/decode",
        json={"payloads": [{"metadata": {"encoding": "%%"}, "data": ""}]},
        headers=codec.auth("analyst"),
    )
    assert malformed.status_code == 422
    assert error_of(malformed)["field"] == "payloads[0].metadata.encoding"


async def test_the_ui_origin_is_answered_cors_before_any_key_and_others_are_not(
    codec: Codec,
) -> None:
    preflight = {
        "Origin": UI,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    allowed = await codec.http.options("/codec/decode", headers=preflight)
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == UI
    assert "POST" in allowed.headers["access-control-allow-methods"]
    asked = {h.strip().lower() for h in allowed.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-namespace", "authorization"} <= asked

    elsewhere = await codec.http.options(
        "/codec/decode", headers={**preflight, "Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    assert "access-control-allow-origin" not in elsewhere.headers

    # The UI reads the answers, a refusal included; another origin's page reads none.
    body = {"payloads": [as_json(codec.plain)]}
    read = await codec.http.post(
        "/codec/decode", json=body, headers={**codec.auth("analyst"), "Origin": UI}
    )
    assert read.headers["access-control-allow-origin"] == UI
    unauthenticated = await codec.http.post("/codec/decode", json=body, headers={"Origin": UI})
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["access-control-allow-origin"] == UI
    other = await codec.http.post(
        "/codec/decode",
        json=body,
        headers={**codec.auth("analyst"), "Origin": "https://evil.example"},
    )
    assert "access-control-allow-origin" not in other.headers
    # No other route answers CORS.
    orders = await codec.http.get("/orders", headers={**codec.auth("analyst"), "Origin": UI})
    assert "access-control-allow-origin" not in orders.headers


async def test_the_key_opens_the_codec_from_its_path_only_where_that_is_turned_on(
    db: Database, codec: Codec
) -> None:
    body = {"payloads": [as_json(codec.plain)]}
    headers = {"Origin": UI, "X-Namespace": "default"}
    # Off (the default): a key in the path is not read, so it opens nothing.
    off = await codec.http.post(f"/codec/key/{codec.keys['analyst']}/decode", json=body)
    assert off.status_code == 401

    async for keyed in codec_api(db, "keyed", codec_key_in_path=True):
        analyst = await keyed.http.post(
            f"/codec/key/{keyed.keys['analyst']}/decode", json=body, headers=headers
        )
        assert analyst.status_code == 200, analyst.text
        assert analyst.headers["access-control-allow-origin"] == UI
        shop = await keyed.http.post(
            f"/codec/key/{keyed.keys['storefront']}/decode", json=body, headers=headers
        )
        assert shop.status_code == 403
        unknown = await keyed.http.post("/codec/key/oms_nope/encode", json=body, headers=headers)
        assert unknown.status_code == 401


async def test_a_character_past_ascii_where_base64_goes_is_refused_like_any_bad_base64(
    codec: Codec,
) -> None:
    for op in ("decode", "encode"):
        refused = await codec.http.post(
            f"/codec/{op}",
            json={"payloads": [{"metadata": {"encoding": "é"}, "data": "ü"}]},
            headers=codec.auth("analyst"),
        )

        assert refused.status_code == 422, refused.text
        assert [(e["field"], e["code"]) for e in error_of(refused)["errors"]] == [
            ("payloads[0].metadata.encoding", "invalid_format"),
            ("payloads[0].data", "invalid_format"),
        ]
