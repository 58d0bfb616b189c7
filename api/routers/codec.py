"""The remote codec the Temporal UI and CLI decode payloads with (analysts and admins).

Temporal's remote codec protocol: ``POST /codec/decode`` and ``POST /codec/encode`` take
``{"payloads": [{"metadata": {name: base64}, "data": base64}, ...]}`` and answer the same shape,
each payload decoded (or encoded) with the codec the API's own Temporal client uses
(oms.codec), so what the OMS sealed, these open. The UI sends ``X-Namespace``. A payload that
is not sealed comes back as it went; with OMS_PAYLOAD_ENCRYPTION off, every one does.

How the UI reaches this from a browser (CORS, and a key it cannot send as a header) is in
api/codec_access.py; docs/operations.md ("Payload encryption") says how to set it up.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, ConfigDict, Field
from temporalio.api.common.v1 import Payload

from api.deps import ClientDep, Principal, require
from api.errors import ApiError, error_responses
from oms.codec import EncryptionCodec, PayloadTampered
from oms.domain.errors import ErrorCode, FieldError
from oms.logging import get_logger
from oms.payload_keys import PayloadKeyError

log = get_logger(__name__)
router = APIRouter(prefix="/codec", tags=["codec"])

Reader = Annotated[Principal, Depends(require("analyst"))]
# The Temporal UI batches the payloads of one event; a history's largest holds a handful.
MAX_PAYLOADS = 1000


class PayloadJson(BaseModel):
    """One Temporal payload as the codec protocol carries it (protobuf's JSON: base64 bytes)."""

    model_config = ConfigDict(extra="ignore")

    metadata: dict[str, str] = Field(default_factory=dict, description="name -> base64 value")
    data: str = Field(default="", description="base64")


class PayloadsJson(BaseModel):
    # Protobuf's JSON leaves an empty list out: the CLI encodes a query without arguments as {}.
    payloads: list[PayloadJson] = Field(default_factory=list, max_length=MAX_PAYLOADS)


def get_codec(client: ClientDep) -> EncryptionCodec | None:
    """The codec of the API's Temporal client: None when encryption is off."""
    codec = client.data_converter.payload_codec
    return codec if isinstance(codec, EncryptionCodec) else None


CodecDep = Annotated[EncryptionCodec | None, Depends(get_codec)]
Namespace = Annotated[
    str | None,
    Header(alias="X-Namespace", description="The namespace the payloads are from (the UI's)"),
]


@router.post(
    "/decode",
    response_model=PayloadsJson,
    responses=error_responses(ErrorCode.INVALID),
    summary="Decode payloads (Temporal remote codec)",
)
def decode(
    body: PayloadsJson, _: Reader, codec: CodecDep, namespace: Namespace = None
) -> PayloadsJson:
    payloads = _parsed(body)
    if codec is None:
        return _answer(payloads)
    opened: list[Payload] = []
    refused: list[FieldError] = []
    for index, payload in enumerate(payloads):
        try:
            opened.append(codec.decrypt(payload))
        except (PayloadKeyError, PayloadTampered) as exc:
            refused.append(
                FieldError(field=f"payloads[{index}]", code=ErrorCode.INVALID, reason=str(exc))
            )
    if refused:
        # Worth a look: a key dropped from OMS_PAYLOAD_KEYS too soon, or altered payloads.
        log.warning("codec_decode_refused", namespace=namespace, payloads=len(refused))
        raise ApiError.invalid(refused)
    return _answer(opened)


@router.post(
    "/encode",
    response_model=PayloadsJson,
    summary="Encode payloads (Temporal remote codec)",
)
def encode(
    body: PayloadsJson, _: Reader, codec: CodecDep, namespace: Namespace = None
) -> PayloadsJson:
    payloads = _parsed(body)
    if codec is None:
        return _answer(payloads)
    return _answer([codec.encrypt(p) for p in payloads])


def _parsed(body: PayloadsJson) -> list[Payload]:
    """The payloads as protobuf messages; every field that is not base64 refused at once."""
    payloads: list[Payload] = []
    refused: list[FieldError] = []
    for index, item in enumerate(body.payloads):
        fields = {f"metadata.{name}": value for name, value in item.metadata.items()}
        decoded = {}
        for field, value in [*fields.items(), ("data", item.data)]:
            try:
                decoded[field] = base64.b64decode(value, validate=True)
            except ValueError:  # binascii.Error, or a character past ASCII: not base64 either
                refused.append(
                    FieldError(
                        field=f"payloads[{index}].{field}",
                        code=ErrorCode.INVALID_FORMAT,
                        reason="not base64",
                    )
                )
        metadata = {name: decoded.get(f"metadata.{name}", b"") for name in item.metadata}
        payloads.append(Payload(metadata=metadata, data=decoded.get("data", b"")))
    if refused:
        raise ApiError.invalid(refused)
    return payloads


def _answer(payloads: list[Payload]) -> PayloadsJson:
    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    return PayloadsJson(
        payloads=[
            PayloadJson(metadata={k: b64(v) for k, v in p.metadata.items()}, data=b64(p.data))
            for p in payloads
        ]
    )
