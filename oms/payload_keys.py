"""The keys payloads are encrypted with (oms.codec): read from settings, made for `oms dev`.

A key is written `<id>:<base64 of 32 bytes>`; ``OMS_PAYLOAD_KEYS`` lists them, comma-separated,
or ``OMS_PAYLOAD_KEYS_FILE`` names a file that does (a mounted secret). The first key encrypts;
every key listed decrypts, so a rotation puts the new key first and keeps the old ones after it
for as long as histories sealed with them may still be read. The id travels in the clear with
each payload; the key itself never leaves the OMS's processes.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from oms.config import Settings

KEY_BYTES = 32  # AES-256
_ID_SHAPE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SETTING = "OMS_PAYLOAD_KEYS"
# Where `oms dev` keeps the key it made, under its OMS_HOME.
DEV_KEY_FILE = "payload-keys"


class PayloadKeyError(ValueError):
    """Keys missing or malformed, or a payload sealed with a key this process does not hold."""


@dataclass(frozen=True)
class PayloadKey:
    id: str
    secret: bytes

    def __repr__(self) -> str:  # never the secret, in a log line or a traceback
        return f"PayloadKey(id={self.id!r})"


def parse_keys(spec: str, *, source: str = _SETTING) -> list[PayloadKey]:
    """``"k2:<base64>,k1:<base64>"`` -> the keys, the encrypting one first. The errors name
    ``source`` and a key's id or position, never key material."""
    keys: list[PayloadKey] = []
    for position, item in enumerate((i.strip() for i in spec.split(",")), start=1):
        if not item:
            continue
        key_id, colon, encoded = item.partition(":")
        if not colon or not _ID_SHAPE.fullmatch(key_id):
            raise PayloadKeyError(
                f"{source}: entry {position} is not `<id>:<base64 of 32 bytes>` (an id of up to"
                " 64 letters, digits, '.', '_' or '-')"
            )
        try:
            secret = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            secret = b""
        if len(secret) != KEY_BYTES:
            raise PayloadKeyError(f"{source}: key {key_id!r} is not the base64 of 32 bytes")
        if any(k.id == key_id for k in keys):
            raise PayloadKeyError(f"{source}: key id {key_id!r} is listed twice")
        keys.append(PayloadKey(key_id, secret))
    if not keys:
        raise PayloadKeyError(f"{source} holds no key")
    return keys


def new_key(key_id: str) -> str:
    """A fresh key, written as OMS_PAYLOAD_KEYS lists it."""
    if not _ID_SHAPE.fullmatch(key_id):
        raise PayloadKeyError(f"{key_id!r} is not a key id")
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode('ascii')}"


MISSING = (
    "payload encryption needs keys: set OMS_PAYLOAD_KEYS to `<id>:<base64 of 32 bytes>`"
    ' (e.g. "k1:$(openssl rand -base64 32)") or OMS_PAYLOAD_KEYS_FILE to a file holding them;'
    " or set OMS_PAYLOAD_ENCRYPTION=false to run with payloads readable by anyone who can read"
    " Temporal (docs/operations.md, Payload encryption)"
)


def keys_from_settings(settings: Settings) -> list[PayloadKey]:
    """The keys the settings name. Raises ``PayloadKeyError`` when there are none: a process
    that would hand Temporal customers' details in clear does not start by default."""
    if settings.payload_keys is not None and settings.payload_keys_file is not None:
        raise PayloadKeyError("set OMS_PAYLOAD_KEYS or OMS_PAYLOAD_KEYS_FILE, not both")
    if settings.payload_keys_file is not None:
        path = settings.payload_keys_file
        try:
            spec = path.read_text()
        except OSError as exc:
            raise PayloadKeyError(
                f"OMS_PAYLOAD_KEYS_FILE: cannot read {path}: {exc.strerror}"
            ) from None
        return parse_keys(spec, source=f"OMS_PAYLOAD_KEYS_FILE ({path})")
    if settings.payload_keys is None or not settings.payload_keys.get_secret_value().strip():
        raise PayloadKeyError(MISSING)
    return parse_keys(settings.payload_keys.get_secret_value())


def dev_keys(home: Path) -> str:
    """`oms dev`'s key: made once under ``home`` (readable by its owner only) and read again
    on every later start, so what a stopped stack sealed, the restarted one still opens."""
    path = home / DEV_KEY_FILE
    if path.exists():
        spec = path.read_text().strip()
        parse_keys(spec, source=str(path))
        return spec
    spec = new_key(f"dev-{datetime.now(UTC):%Y%m%d}")
    home.mkdir(parents=True, exist_ok=True)
    # Created owner-only from the first byte: no moment where another user could read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(spec + "\n")
    return spec


def for_dev(settings: Settings) -> Settings:
    """`oms dev`'s settings: payloads encrypted as in production, with the key it made once
    under its OMS_HOME (unless keys are set), and the codec's key taken from its path for the
    dev server's UI (api/codec_access.py), which, like the API, listens on this machine only."""
    update: dict[str, object] = {"codec_key_in_path": True}
    if settings.payload_encryption and not (settings.payload_keys or settings.payload_keys_file):
        update["payload_keys"] = SecretStr(dev_keys(settings.home))
    return settings.model_copy(update=update)
