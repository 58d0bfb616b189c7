"""The payment gateway simulator: what a real gateway does, kept in a SQLite file of its own.

Tokens: ``tok_ok`` authorizes, ``tok_decline`` is declined, ``tok_flaky`` is unavailable on
the first two attempts of an idempotency key, anything else is an invalid token.

Like a real gateway, it keeps its own state apart from the OMS: given a file (``oms dev`` and
``oms worker`` use ``OMS_PAYMENT_SIMULATOR_PATH``, by default ``payment-simulator.db`` in the
OMS home), that state outlives the worker and is shared by every worker process, so a
worker killed and restarted replays an idempotency key instead of charging twice, and
``oms payments reconcile`` has a gateway record to compare the OMS's ledger with. Without a
file it lives in memory (tests).

A capture can be refunded, in parts, up to what it took (``refund_exceeds_capture`` beyond);
a refund of a capture this simulator does not know is ``unknown_capture``.

``refuse_captures(n)`` makes the next ``n`` captures (new idempotency keys) be refused, as an
issuer may refuse a capture after authorizing: a test hook, and a way to rehearse payment
exceptions in ``oms dev``. ``reverse(key, code)`` makes a capture or a refund it answered as
done fail after the fact (its transaction is no longer listed), as a gateway's late notice
says (``oms.connectors.payment_notices`` sends it); a reversed capture took no money, so its
authorization may be captured for that amount again (under a new key): the optimistic case,
as a real gateway's authorization may have expired or been released meanwhile.
``recapture(key)`` makes a reversed capture go through after all, as a gateway that retries a
capture failed for a technical reason does.

Only successes are remembered per idempotency key: a refusal is recomputed on retry, which
gives the same answer because tokens are fixed and an authorization only gets less capturable
over time.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from oms.connectors.payment_simulator_state import SCHEMA as _SCHEMA
from oms.connectors.payment_simulator_state import (
    TRANSACTION_COLUMNS,
    AuthorizationState,
    count_attempt,
    insert_operation,
    transaction_of,
)
from oms.connectors.payments import (
    GatewayTransaction,
    PaymentDeclined,
    PaymentError,
    PaymentUnavailable,
)
from oms.contracts.payments import Authorization, Capture, PartialVoid, Refund, Void

SIM_AUTH_PREFIX = "sim_auth_"
SIM_CAPTURE_PREFIX = "sim_cap_"
SIM_REFUND_PREFIX = "sim_ref_"


_T = TypeVar("_T", Authorization, Capture, Void, PartialVoid, Refund)
_KINDS: dict[type[BaseModel], str] = {
    Authorization: "authorize",
    Capture: "capture",
    Void: "void",
    PartialVoid: "partial_void",
    Refund: "refund",
}


def _derived_id(prefix: str, idempotency_key: str) -> str:
    return prefix + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


def _require_positive(amount: int) -> None:
    if amount <= 0:
        raise PaymentError("invalid_amount", f"amount must be positive, got {amount}")


class SimulatedPaymentGateway:
    """A gateway for local runs and tests (see the module docstring)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self._lock = threading.Lock()
        # One connection, used under the lock; across processes, BEGIN IMMEDIATE serializes.
        self._db = sqlite3.connect(
            str(path) if path else ":memory:",
            timeout=30.0,
            isolation_level=None,
            check_same_thread=False,
        )
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._refuse_captures = 0

    def refuse_captures(self, n: int = 1) -> None:
        """Refuse the next ``n`` captures (``capture_refused``)."""
        with self._lock:
            self._refuse_captures = n

    def authorize(
        self, *, idempotency_key: str, token: str, amount: int, currency: str
    ) -> Authorization:
        def work(attempt: int) -> Authorization:
            if token == "tok_flaky" and attempt <= 2:
                raise PaymentUnavailable("gateway_timeout", "simulated transient failure")
            if token == "tok_decline":
                raise PaymentDeclined("card_declined", "the card was declined")
            if token not in ("tok_ok", "tok_flaky"):
                raise PaymentDeclined("invalid_token", f"unknown payment token {token!r}")
            _require_positive(amount)
            auth_id = _derived_id(SIM_AUTH_PREFIX, idempotency_key)
            state = AuthorizationState(authorization_id=auth_id, amount=amount, currency=currency)
            self._save(state)
            return Authorization(authorization_id=auth_id, amount=amount, currency=currency)

        return self._once(idempotency_key, Authorization, work)

    def capture(
        self, *, idempotency_key: str, authorization_id: str, amount: int, currency: str
    ) -> Capture:
        def work(_: int) -> Capture:
            _require_positive(amount)
            if self._refuse_captures > 0:
                self._refuse_captures -= 1
                raise PaymentDeclined("capture_refused", "the issuer refused the capture")
            capture = Capture(
                capture_id=_derived_id(SIM_CAPTURE_PREFIX, idempotency_key),
                authorization_id=authorization_id,
                amount=amount,
                currency=currency,
            )
            auth = self._known(authorization_id)
            if auth is None:
                return capture
            if auth.voided:
                raise PaymentError("authorization_voided", f"{authorization_id} was voided")
            if currency != auth.currency:
                raise PaymentError(
                    "currency_mismatch", f"authorized in {auth.currency}, capture in {currency}"
                )
            if auth.captured + amount > auth.amount:
                raise PaymentError(
                    "capture_exceeds_authorization",
                    f"{auth.captured} of {auth.amount} already captured, {amount} more requested",
                )
            auth.captured += amount
            auth.captures.append(capture)
            self._save(auth)
            self._db.execute(
                "INSERT OR IGNORE INTO captures VALUES (?, ?)",
                (capture.capture_id, authorization_id),
            )
            return capture

        return self._once(idempotency_key, Capture, work)

    def refund(
        self, *, idempotency_key: str, capture_id: str, amount: int, currency: str
    ) -> Refund:
        def work(_: int) -> Refund:
            _require_positive(amount)
            auth = self._authorization_of(capture_id)
            capture = next((c for c in auth.captures if c.capture_id == capture_id), None)
            assert capture is not None  # indexed with its authorization
            if currency != capture.currency:
                raise PaymentError(
                    "currency_mismatch", f"captured in {capture.currency}, refund in {currency}"
                )
            before = auth.refunded.get(capture_id, 0)
            if before + amount > capture.amount:
                raise PaymentError(
                    "refund_exceeds_capture",
                    f"{before} of {capture.amount} already refunded, {amount} more requested",
                )
            auth.refunded[capture_id] = before + amount
            self._save(auth)
            return Refund(
                refund_id=_derived_id(SIM_REFUND_PREFIX, idempotency_key),
                capture_id=capture_id,
                amount=amount,
                currency=currency,
            )

        return self._once(idempotency_key, Refund, work)

    def void(self, *, idempotency_key: str, authorization_id: str) -> Void:
        def work(_: int) -> Void:
            auth = self._known(authorization_id)
            if auth is None or auth.voided:
                return Void(authorization_id=authorization_id, voided_amount=0)
            auth.voided = True
            self._save(auth)
            return Void(
                authorization_id=authorization_id, voided_amount=auth.amount - auth.captured
            )

        return self._once(idempotency_key, Void, work)

    def reverse(self, idempotency_key: str, code: str) -> GatewayTransaction:
        """A capture or a refund done under this key fails after the fact: no longer one of
        the gateway's transactions, and a capture's amount no longer counts against its
        authorization. The transaction it was; KeyError when there is none. One transaction:
        a reversal asked twice at once gives the amount back once."""
        with self._lock, self._transaction():
            done = self._operation(idempotency_key)
            if done is None or done.operation not in ("capture", "refund"):
                raise KeyError(idempotency_key)
            inserted = self._db.execute(
                "INSERT OR IGNORE INTO reversals VALUES (?, ?)", (idempotency_key, code)
            ).rowcount
            auth = self._load(done.authorization_id) if done.operation == "capture" else None
            if inserted and auth is not None:
                auth.captured -= done.amount
                self._save(auth)
        return done

    def recapture(self, idempotency_key: str) -> GatewayTransaction:
        """A reversed capture goes through after all (Adyen's "Transaction Recaptured"): a
        transaction again, counted against its authorization (``capture_exceeds_authorization``
        when captured meanwhile). KeyError when no reversed capture has this key."""
        with self._lock, self._transaction():
            done = self._operation(idempotency_key)
            reversed_ = self._db.execute(
                "SELECT 1 FROM reversals WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
            if done is None or done.operation != "capture" or reversed_ is None:
                raise KeyError(idempotency_key)
            auth = self._load(done.authorization_id)
            if auth is not None:
                if auth.voided or auth.captured + done.amount > auth.amount:
                    raise PaymentError(
                        "capture_exceeds_authorization",
                        f"{auth.amount - auth.captured} held, {done.amount} to capture again",
                    )
                auth.captured += done.amount
                self._save(auth)
            self._db.execute("DELETE FROM reversals WHERE idempotency_key = ?", (idempotency_key,))
        return done

    partial_voids = True

    def void_part(
        self, *, idempotency_key: str, authorization_id: str, amount: int, currency: str
    ) -> PartialVoid:
        """Let go of ``amount`` of an authorization: never more than is held and not
        captured; what is left can still be captured, then voided."""

        def work(_: int) -> PartialVoid:
            _require_positive(amount)
            auth = self._known(authorization_id)
            if auth is None:
                return PartialVoid(authorization_id=authorization_id, voided_amount=amount)
            if auth.voided:
                raise PaymentError("authorization_voided", f"{authorization_id} was voided")
            if currency != auth.currency:
                raise PaymentError(
                    "currency_mismatch", f"authorized in {auth.currency}, void in {currency}"
                )
            if amount > auth.amount - auth.captured:
                raise PaymentError(
                    "void_exceeds_authorization",
                    f"{auth.amount - auth.captured} held, {amount} to let go",
                )
            auth.amount -= amount
            auth.released += amount
            self._save(auth)
            return PartialVoid(authorization_id=authorization_id, voided_amount=amount)

        return self._once(idempotency_key, PartialVoid, work)

    def transactions(self) -> Iterator[GatewayTransaction]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {TRANSACTION_COLUMNS} FROM operations WHERE idempotency_key NOT IN"
                " (SELECT idempotency_key FROM reversals) ORDER BY seq"
            ).fetchall()
        yield from (transaction_of(row) for row in rows)

    def state(self, authorization_id: str) -> AuthorizationState:
        """An authorization's state; KeyError if this simulator never issued it."""
        with self._lock:
            state = self._load(authorization_id)
        if state is None:
            raise KeyError(authorization_id)
        return state

    def attempts(self, idempotency_key: str) -> int:
        """How many calls, of any operation, used this idempotency key."""
        with self._lock:
            row = self._db.execute(
                "SELECT n FROM attempts WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._db.close()

    # -- storage ---------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _once(self, idempotency_key: str, kind: type[_T], work: Callable[[int], _T]) -> _T:
        with self._lock:
            with self._transaction():
                attempt = count_attempt(self._db, idempotency_key)
            with self._transaction():
                previous = self._db.execute(
                    "SELECT operation, result FROM operations WHERE idempotency_key = ?",
                    (idempotency_key,),
                ).fetchone()
                if previous is not None:
                    operation, result = previous
                    if operation != _KINDS[kind]:
                        raise PaymentError(
                            "idempotency_key_reused",
                            f"key {idempotency_key!r} was used for a {operation}",
                        )
                    return kind.model_validate_json(result)
                done = work(attempt)
                self._record(idempotency_key, done)
                return done

    def _record(
        self, idempotency_key: str, done: Authorization | Capture | Void | PartialVoid | Refund
    ) -> None:
        if isinstance(done, Authorization):
            auth_id, reference, amount = done.authorization_id, done.authorization_id, done.amount
            currency = done.currency
        elif isinstance(done, Capture):
            auth_id, reference, amount = done.authorization_id, done.capture_id, done.amount
            currency = done.currency
        elif isinstance(done, Refund):
            auth_id = self._authorization_of(done.capture_id).authorization_id
            reference, amount, currency = done.refund_id, done.amount, done.currency
        else:
            auth = self._load(done.authorization_id)
            auth_id, reference, amount = (
                done.authorization_id,
                done.authorization_id,
                done.voided_amount,
            )
            currency = auth.currency if auth else ""
        insert_operation(
            self._db,
            (idempotency_key, _KINDS[type(done)], done.model_dump_json(), auth_id, reference),
            amount,
            currency,
        )

    def _operation(self, idempotency_key: str) -> GatewayTransaction | None:
        """The operation done under this key, reversed or not (under the lock)."""
        row = self._db.execute(
            f"SELECT {TRANSACTION_COLUMNS} FROM operations WHERE idempotency_key = ?",
            (idempotency_key,),
        ).fetchone()
        return transaction_of(row) if row else None

    def _load(self, authorization_id: str) -> AuthorizationState | None:
        row = self._db.execute(
            "SELECT state FROM authorizations WHERE authorization_id = ?", (authorization_id,)
        ).fetchone()
        return AuthorizationState.model_validate_json(row[0]) if row else None

    def _save(self, state: AuthorizationState) -> None:
        self._db.execute(
            "INSERT INTO authorizations VALUES (?, ?) ON CONFLICT(authorization_id)"
            " DO UPDATE SET state = excluded.state",
            (state.authorization_id, state.model_dump_json()),
        )

    def _authorization_of(self, capture_id: str) -> AuthorizationState:
        row = self._db.execute(
            "SELECT authorization_id FROM captures WHERE capture_id = ?", (capture_id,)
        ).fetchone()
        auth = self._load(row[0]) if row else None
        if auth is None:
            raise PaymentError("unknown_capture", f"no capture {capture_id!r}")
        return auth

    def _known(self, authorization_id: str) -> AuthorizationState | None:
        """The authorization, or None for a sim id this simulator has no record of (issued by
        another, in-memory one: the simulator then trusts the caller, as a real gateway keeps
        that state server-side)."""
        auth = self._load(authorization_id)
        if auth is None and not authorization_id.startswith(SIM_AUTH_PREFIX):
            raise PaymentError("unknown_authorization", f"no authorization {authorization_id!r}")
        return auth
