"""The payload codec (oms.codec) and its keys (oms.payload_keys): what Temporal is handed is
sealed, keys rotate, what was never sealed still reads, and what was altered does not."""

from __future__ import annotations

import base64
import inspect
import stat
import typing
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio import activity, workflow
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from oms.codec import ENCODING, KEY_ID, EncryptionCodec, PayloadTampered
from oms.config import Settings
from oms.domain.order import OrderIn
from oms.payload_keys import (
    DEV_KEY_FILE,
    PayloadKeyError,
    dev_keys,
    for_dev,
    keys_from_settings,
    new_key,
    parse_keys,
)
from oms.temporal import data_converter
from tests.factories import order
from workers.main import WORKFLOWS
from workflows import calls

EMAIL = "alice@example.com"


def codec_of(*specs: str) -> EncryptionCodec:
    return EncryptionCodec(parse_keys(",".join(specs)))


async def plain_payload(value: OrderIn) -> Payload:
    (payload,) = await pydantic_data_converter.encode([value])
    return payload


async def test_a_sealed_payload_hides_the_order_and_opens_to_the_same_payload() -> None:
    codec = codec_of(new_key("k1"))
    payload = await plain_payload(order("SEAL-1"))
    assert EMAIL.encode() in payload.data

    (sealed,) = await codec.encode([payload])
    (opened,) = await codec.decode([sealed])

    assert EMAIL.encode() not in sealed.SerializeToString()
    assert b"SEAL-1" not in sealed.SerializeToString()
    assert dict(sealed.metadata) == {"encoding": ENCODING, KEY_ID: b"k1"}
    assert opened == payload


async def test_the_same_payload_sealed_twice_reads_differently() -> None:
    codec = codec_of(new_key("k1"))
    payload = await plain_payload(order("SEAL-2"))
    first, second = await codec.encode([payload, payload])
    assert first.data != second.data  # a fresh nonce each time


async def test_after_a_rotation_the_new_key_seals_and_the_old_one_still_opens() -> None:
    old, new = new_key("2024-01"), new_key("2025-01")
    before = codec_of(old)
    (sealed_before,) = await before.encode([await plain_payload(order("ROT-1"))])

    after = codec_of(new, old)
    (sealed_after,) = await after.encode([await plain_payload(order("ROT-2"))])
    opened_before, opened_after = await after.decode([sealed_before, sealed_after])

    assert sealed_after.metadata[KEY_ID] == b"2025-01"
    assert b"ROT-1" in opened_before.data
    assert b"ROT-2" in opened_after.data
    with pytest.raises(PayloadKeyError, match="'2025-01'.*OMS_PAYLOAD_KEYS"):
        await before.decode([sealed_after])  # a process not yet given the new key says so


async def test_a_payload_never_sealed_passes_through_both_ways_of_a_history() -> None:
    codec = codec_of(new_key("k1"))
    payload = await plain_payload(order("OLD-1"))
    (opened,) = await codec.decode([payload])
    assert opened == payload
    (sealed,) = await codec.encode([payload])
    assert await codec.encode([sealed]) == [sealed]  # never sealed twice


@pytest.mark.parametrize("where", ["nonce", "ciphertext", "tag", "truncated"])
async def test_an_altered_payload_is_refused_not_opened(where: str) -> None:
    codec = codec_of(new_key("k1"))
    (sealed,) = await codec.encode([await plain_payload(order("TAMPER-1"))])
    data = bytearray(sealed.data)
    if where == "truncated":
        data = data[:5]
    else:
        data[{"nonce": 0, "ciphertext": 20, "tag": -1}[where]] ^= 0x01
    altered = Payload(metadata=sealed.metadata, data=bytes(data))
    with pytest.raises(PayloadTampered, match="'k1'"):
        await codec.decode([altered])


async def test_a_payload_relabelled_with_another_held_key_is_refused() -> None:
    codec = codec_of(new_key("k2"), new_key("k1"))
    (sealed,) = await codec.encode([await plain_payload(order("RELABEL-1"))])
    relabelled = Payload(metadata={"encoding": ENCODING, KEY_ID: b"k1"}, data=sealed.data)
    with pytest.raises(PayloadTampered):
        await codec.decode([relabelled])


def test_keys_are_refused_with_their_fault_and_never_their_material() -> None:
    good = new_key("k1")
    material = good.split(":", 1)[1]
    short = "k2:" + base64.b64encode(b"x" * 16).decode()
    cases = {
        "": "holds no key",
        "no-colon": "entry 1 is not",
        f"bad id!:{material}": "entry 1 is not",
        "k2:not*base64": "'k2' is not the base64 of 32 bytes",
        short: "'k2' is not the base64 of 32 bytes",
        f"{good},{good}": "'k1' is listed twice",
    }
    for spec, fault in cases.items():
        with pytest.raises(PayloadKeyError, match=fault) as refused:
            parse_keys(spec)
        assert material not in str(refused.value)
    assert [k.id for k in parse_keys(f" {good} , {new_key('k0')} ")] == ["k1", "k0"]
    assert material not in repr(parse_keys(good))


def test_without_keys_nothing_starts_unless_encryption_is_turned_off(tmp_path: Path) -> None:
    with pytest.raises(PayloadKeyError, match="OMS_PAYLOAD_KEYS.*OMS_PAYLOAD_ENCRYPTION=false"):
        data_converter(Settings(payload_keys=None, payload_keys_file=None))
    assert data_converter(Settings(payload_encryption=False)) is pydantic_data_converter

    secret = tmp_path / "payload-keys"
    secret.write_text(new_key("from-file") + "\n")
    assert [
        k.id for k in keys_from_settings(Settings(payload_keys=None, payload_keys_file=secret))
    ] == ["from-file"]
    with pytest.raises(PayloadKeyError, match="cannot read"):
        keys_from_settings(Settings(payload_keys=None, payload_keys_file=tmp_path / "absent"))


async def test_the_oms_converter_seals_a_model_and_reads_it_back() -> None:
    converter = data_converter(Settings(payload_keys=SecretStr(new_key("k1"))))
    (payload,) = await converter.encode([order("CONV-1")])
    assert EMAIL.encode() not in payload.SerializeToString()
    (back,) = await converter.decode([payload], [OrderIn])
    assert back == order("CONV-1")


def test_oms_dev_makes_its_key_once_for_its_owner_and_reuses_it(tmp_path: Path) -> None:
    first = for_dev(Settings(home=tmp_path, payload_keys=None))
    again = for_dev(Settings(home=tmp_path, payload_keys=None))

    assert first.payload_keys is not None
    assert again.payload_keys is not None
    assert first.payload_keys.get_secret_value() == again.payload_keys.get_secret_value()
    assert first.payload_keys.get_secret_value() == dev_keys(tmp_path)
    assert stat.S_IMODE((tmp_path / DEV_KEY_FILE).stat().st_mode) == 0o600
    assert first.codec_key_in_path
    given = new_key("ops")
    assert for_dev(Settings(home=tmp_path, payload_keys=SecretStr(given))).payload_keys == (
        SecretStr(given)
    )


async def test_a_bare_string_a_summary_or_an_id_stays_plain_for_ops() -> None:
    codec = codec_of(new_key("k1"))
    summary = "WEB-1 · web-fr · 1 line · 24.99 EUR · ship FR"
    text, model = await pydantic_data_converter.encode([summary, order("TEXT-1")])
    kept, sealed = await codec.encode([text, model])
    assert kept == text
    assert sealed.metadata["encoding"] == ENCODING


def _handlers() -> list[Callable[..., object]]:
    """Every function whose arguments and result cross Temporal as payloads: the activities
    workflows call (as workflows.calls declares them) and the workflows' run, signal, query
    and update handlers."""
    found: list[Callable[..., object]] = [
        fn
        for _, fn in inspect.getmembers(calls, inspect.isfunction)
        if activity._Definition.from_callable(fn) is not None
    ]
    for cls in WORKFLOWS:
        defn = workflow._Definition.must_from_class(cls)
        handlers = [*defn.signals.values(), *defn.queries.values(), *defn.updates.values()]
        found += [defn.run_fn, *(h.fn for h in handlers if h.fn is not None)]
    return found


def test_no_workflow_or_activity_passes_a_string_that_is_not_an_id() -> None:
    # Bare strings cross Temporal in clear (oms.codec): customers' details must travel in
    # models, which are sealed. An id is as plain as the OrderId search attribute.
    handlers = _handlers()
    assert len(handlers) > 30
    wrong = []
    for fn in handlers:
        hints = typing.get_type_hints(fn)
        returned = hints.pop("return", None)
        wrong += [
            f"{fn.__qualname__}({n})"
            for n, t in hints.items()
            if t is str and not n.endswith("_id")
        ]
        if returned is str:
            wrong.append(f"{fn.__qualname__} -> str")
    assert not wrong, f"strings that would cross Temporal unsealed: {wrong}"
