"""oms.webhooks: the signature scheme both ways (issue 13's, used by carrier tracking)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from oms.webhooks import SignatureError, new_secret, sign, verify

BODY = b'{"tracking_number": "SIM1", "status": "DELIVERED"}'
NOW = 1_800_000_000


def test_a_signature_round_trips() -> None:
    secret = new_secret()

    header = sign(secret, BODY, timestamp=NOW)

    assert header.startswith(f"t={NOW},v1=")
    assert verify(secret, header, BODY, now=NOW + 10) == NOW


def test_the_digest_is_hmac_sha256_of_the_timestamp_dot_body() -> None:
    # The wire format receivers in any language implement: HMAC-SHA256 of "<t>.<raw body>".
    expected = hmac.new(b"whsec_test", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()

    assert sign("whsec_test", BODY, timestamp=NOW) == f"t={NOW},v1={expected}"


@pytest.mark.parametrize(
    ("header", "secret", "body", "now", "code"),
    [
        (None, "k", BODY, NOW, "signature_missing"),
        ("", "k", BODY, NOW, "signature_missing"),
        ("v1=00", "k", BODY, NOW, "signature_malformed"),
        ("t=soon,v1=00", "k", BODY, NOW, "signature_malformed"),
        ("t=1,v1", "k", BODY, NOW, "signature_malformed"),
        (sign("other", BODY, timestamp=NOW), "k", BODY, NOW, "signature_mismatch"),
        (sign("k", BODY, timestamp=NOW), "k", BODY + b" ", NOW, "signature_mismatch"),
        (sign("k", BODY, timestamp=NOW - 301), "k", BODY, NOW, "signature_expired"),
        (sign("k", BODY, timestamp=NOW + 301), "k", BODY, NOW, "signature_expired"),
    ],
)
def test_what_does_not_hold_is_refused_with_its_code(
    header: str | None, secret: str, body: bytes, now: int, code: str
) -> None:
    with pytest.raises(SignatureError) as refused:
        verify(secret, header, body, now=now)

    assert refused.value.code == code


def test_a_rotating_sender_may_sign_with_both_secrets() -> None:
    old, new = sign("old", BODY, timestamp=NOW), sign("new", BODY, timestamp=NOW)
    both = f"{old},{new.split(',')[1]}"

    assert verify("new", both, BODY, now=NOW) == NOW
    assert verify("old", both, BODY, now=NOW) == NOW


def test_the_tolerance_is_the_callers() -> None:
    header = sign("k", BODY, timestamp=NOW - 1000)

    assert verify("k", header, BODY, tolerance=1200, now=NOW) == NOW - 1000
