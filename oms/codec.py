"""The payload codec: what the OMS hands Temporal is sealed with AES-256-GCM.

Temporal keeps workflow and activity inputs, results, signals, updates and query answers as
payloads, in its database and in every history it shows. Sealed, they read as ciphertext to
anyone who reads Temporal (its UI, its CLI, its database) without the OMS's keys: a customer's
email and address stay in the OMS.

What stays plain, on purpose, for ops to read without the codec: search attributes (no codec
sees them) and bare strings. Every model the OMS passes is a JSON object and is sealed; a bare
JSON string is a run's summary or details (what `temporal workflow describe` and the UI's lists
show) or an id handed to an activity. Neither carries personal data (oms.domain.order.run_info
composes the summaries; tests/unit/test_codec.py fails on a workflow or activity that would take
or return a string that is not an id).

Each payload, metadata and data, is serialized whole and sealed with the first key of
OMS_PAYLOAD_KEYS and a random 12-byte nonce; the sealed payload's metadata says
``encoding: binary/encrypted`` and names the key by its id (``encryption-key-id``), so keys can
rotate: every key listed decrypts. The key id is also the cipher's associated data, so a payload
relabelled with another id fails authentication. A payload that is not sealed (every history
recorded before this codec) passes through decoding unchanged.

The codec is built by oms.temporal.data_converter and served to the Temporal UI by the API
(api/routers/codec.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from oms.payload_keys import PayloadKey, PayloadKeyError

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class PayloadTampered(ValueError):
    """A sealed payload failed authentication: altered, or sealed under another key."""


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


def is_text(payload: Payload) -> bool:
    """A bare JSON string (a summary, details, an id): left plain for ops to read."""
    return payload.metadata.get("encoding") == b"json/plain" and payload.data.startswith(b'"')


class EncryptionCodec(PayloadCodec):
    """Seals with the first key, opens with any of them."""

    def __init__(self, keys: Sequence[PayloadKey]) -> None:
        if not keys:
            raise PayloadKeyError("an encryption codec needs at least one key")
        self.encrypting_key_id = keys[0].id
        self._ciphers = {key.id: AESGCM(key.secret) for key in keys}

    @property
    def key_ids(self) -> list[str]:
        return list(self._ciphers)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        """Seal ``payload``; a bare string, or one sealed already, is left as it is."""
        if is_encrypted(payload) or is_text(payload):
            return payload
        key_id = self.encrypting_key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed
        )

    def decrypt(self, payload: Payload) -> Payload:
        """Open ``payload`` when it is sealed; pass it through when it is not.

        Raises:
            PayloadKeyError: sealed with a key whose id this codec does not hold.
            PayloadTampered: the payload does not authenticate under the key it names.
        """
        if not is_encrypted(payload):
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode("utf-8", "replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadKeyError(
                f"a payload is encrypted with key {key_id!r}, which is not among the keys held"
                f" ({', '.join(self._ciphers)}): add it back to OMS_PAYLOAD_KEYS to read it"
            )
        data = payload.data
        try:
            opened = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], key_id.encode())
        except (InvalidTag, ValueError):  # ValueError: too short to hold a nonce
            raise PayloadTampered(
                f"a payload encrypted with key {key_id!r} fails authentication: it was altered,"
                " or the key held under that id is not the one that sealed it"
            ) from None
        return Payload.FromString(opened)
