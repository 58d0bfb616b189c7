"""The idempotency keys the OMS sends to payment gateways, built and parsed here only (the
rest of its ids and keys are in ``oms.keys``): authorizations, captures, voids and refunds,
one key per operation so that a call made again is not charged twice. Pure: safe to import
inside the workflow sandbox.
"""

from __future__ import annotations

import hashlib


def authorize_key(order_id: str) -> str:
    return f"{order_id}:authorize"


def reauthorize_key(order_id: str, attempt: int) -> str:
    return f"{order_id}:reauthorize:{attempt}"


def capture_key(order_id: str, shipment_key: str) -> str:
    return f"{order_id}:capture:{shipment_key}"


def void_key(order_id: str) -> str:
    return f"{order_id}:void"


def refund_key(order_id: str, what: str) -> str:
    """One refund of an order, ``what`` naming why (a return's id, a line's cancellation):
    the same refund asked twice is refunded once."""
    return f"{order_id}:refund:{what}"


def partial_void_key(order_id: str, edit: int) -> str:
    """What the n-th order edit let go of the authorization."""
    return f"{order_id}:partial-void:{edit}"


def extra_void_key(order_id: str, attempt: int) -> str:
    """The void of an authorization other than the order's last (aged, or made for a refused
    capture): a key of its own, or it would replay the order's own void."""
    return f"{order_id}:void:{attempt}"


# A capture made again for a refused one: ``<fulfilment>~<action><attempt>`` as its shipment.
_CAPTURE_AGAIN = "~"
_CAPTURE = ":capture:"
_REFUND = ":refund:"
_REFUND_OF_CAPTURE = "@"  # <order>:refund:<return id>[.<attempt>]@<capture id>
_DIGEST = 12  # hex digits of a reversed capture's key in its recovery's keys


def capture_again_key(fulfilment_id: str, action: str, attempt: int) -> str:
    """The shipment key of a refused capture made again (retried or on a fresh authorization)."""
    return f"{fulfilment_id}{_CAPTURE_AGAIN}{action}{attempt}"


def recovery_try(fulfilment_id: str, reversed_key: str, action: str, attempt: int) -> str:
    """One try at collecting a capture the gateway reversed after the fact: the shipment key of
    its capture and, with the order, the keys of the authorization and the void it may make
    (``<fulfilment>~<hash of the reversed capture's key>-<action><attempt>``). Apart from the
    order's own tries of the fulfilment (``capture_again_key``) and from the recovery of
    another reversal of it."""
    return f"{_recovery_base(fulfilment_id, reversed_key)}{action}{attempt}"


def _recovery_base(fulfilment_id: str, reversed_key: str) -> str:
    digest = hashlib.sha256(reversed_key.encode()).hexdigest()[:_DIGEST]
    return f"{fulfilment_id}{_CAPTURE_AGAIN}{digest}-"


def recovery_capture_prefix(order_id: str, fulfilment_id: str, reversed_key: str) -> str:
    """The start of the capture keys of every try at collecting one reversed capture."""
    return capture_key(order_id, _recovery_base(fulfilment_id, reversed_key))


def is_recovery_capture(key: str) -> bool:
    """A capture key of a try at collecting a reversed capture (``recovery_try``), not of the
    order's own captures (``capture_again_key`` included)."""
    _, sep, shipment = key.partition(_CAPTURE)
    _, again, what = shipment.partition(_CAPTURE_AGAIN)
    digest, dash, _ = what.partition("-")
    hexdigits = set("0123456789abcdef")
    return bool(sep and again and dash) and len(digest) == _DIGEST and set(digest) <= hexdigits


def recovery_release_key(order_id: str, try_: str, *, partial: bool) -> str:
    """What a recovery's try lets go of on the reversed capture's authorization once the money
    is collected on another one or written off: part of it while the order runs (its other
    captures may still need the rest), all of it once the order is over."""
    return f"{order_id}:partial-void:{try_}" if partial else f"{order_id}:void:{try_}:release"


def recovery_authorize_key(order_id: str, try_: str) -> str:
    """The fresh authorization of a recovery's try (``recovery_try``)."""
    return f"{order_id}:reauthorize:{try_}"


def recovery_void_key(order_id: str, try_: str) -> str:
    """The void of a recovery's fresh authorization whose capture was refused."""
    return f"{order_id}:void:{try_}"


def return_refund_for(return_id: str, attempt: int, capture_id: str) -> str:
    """What one refund of a return over one capture is for: with the order, its key. A
    refund made again (``attempt`` > 0) has its own."""
    what = return_id if attempt == 0 else f"{return_id}.{attempt}"
    return f"{what}{_REFUND_OF_CAPTURE}{capture_id}"


def return_refund_prefix(order_id: str, return_id: str, attempt: int) -> str:
    """The start of the keys of one refund attempt of a return (one key per capture)."""
    return refund_key(order_id, return_refund_for(return_id, attempt, ""))


def refunded_capture(key: str) -> str | None:
    """The capture a return's refund key gave money back from; None for another key."""
    _, sep, what = key.partition(_REFUND)
    if not sep:
        return None
    _, at, capture = what.rpartition(_REFUND_OF_CAPTURE)
    return capture if at else None


def capture_fulfilment(key: str) -> str | None:
    """The fulfilment a capture's key was for (made again or not); None for another key."""
    _, sep, shipment = key.partition(_CAPTURE)
    return shipment.partition(_CAPTURE_AGAIN)[0] or None if sep else None


def refund_return(key: str) -> str | None:
    """The return a refund's key was for (``<order>.R<n>``, its attempt left out); None for a
    key that is not a return's refund."""
    _, sep, what = key.partition(_REFUND)
    what, at, _ = what.rpartition(_REFUND_OF_CAPTURE)
    if not sep or not at or what.startswith(_APPEASEMENT):
        return None
    head, dot, tail = what.rpartition(".")
    # "<order>.R<n>.<attempt>": the attempt's digits follow the return's own "R<n>".
    return head if dot and tail.isdigit() else what


# -- appeasements (goodwill refunds without a return) -------------------------------------

# ``<order>:refund:appeasement/<appeasement id>@<capture id>``: the "/" no order id (and so
# no return id) holds, so a return's refund is never read as an appeasement's.
_APPEASEMENT = "appeasement/"


def appeasement_refund_for(appeasement_id: str, capture_id: str) -> str:
    """What an appeasement's refund over one capture is for: with the order, its key. An
    appeasement is refunded once (a refusal leaves it failed), so it has no attempts."""
    return f"{_APPEASEMENT}{appeasement_id}{_REFUND_OF_CAPTURE}{capture_id}"


def appeasement_refund_prefix(order_id: str, appeasement_id: str) -> str:
    """The start of the keys of an appeasement's refund (one key per capture)."""
    return refund_key(order_id, appeasement_refund_for(appeasement_id, ""))


def refund_appeasement(key: str) -> str | None:
    """The appeasement a refund's key was for; None for a key that is not an appeasement's
    refund."""
    _, sep, what = key.partition(_REFUND)
    what, at, _ = what.rpartition(_REFUND_OF_CAPTURE)
    if not sep or not at or not what.startswith(_APPEASEMENT):
        return None
    return what.removeprefix(_APPEASEMENT) or None


def payment_key_order_id(key: str) -> str | None:
    """The order of a payment idempotency key built above; None when it is not one."""
    for suffix in (":authorize", ":void"):
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    for infix in (":capture:", ":refund:", ":reauthorize:", ":void:", ":partial-void:"):
        order_id, sep, _ = key.partition(infix)
        if sep and order_id:
            return order_id
    return None
