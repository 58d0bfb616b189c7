"""Reconciling the OMS's payment ledger with the gateway's own record (`oms payments
reconcile`).

Both sides are keyed by the idempotency key the OMS sent: each operation the gateway performed
should be a ``succeeded`` row of the ledger with the same operation, amount, currency and
reference, and each such row should be an operation of the gateway. A difference is one of:

- ``missing_in_ledger``: the gateway did it, the OMS has no record (a worker died between the
  gateway's answer and the write, and the run never retried: money moved unseen);
- ``missing_at_gateway``: the OMS recorded it, the gateway has no trace of it;
- ``mismatch``: both have it, with different values (the fields are named).

Refusals are in the ledger for the record but are no gateway operation: they are not compared.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from oms.connectors.payments import GatewayTransaction, PaymentGateway
from oms.db import payments as ledger
from oms.db.engine import Database
from oms.db.tables import PaymentLedgerEntry
from oms.gateway_keys import payment_key_order_id


class Difference(BaseModel):
    kind: Literal["missing_in_ledger", "missing_at_gateway", "mismatch"]
    idempotency_key: str
    order_id: str | None
    operation: str
    fields: list[str] = []
    ledger: dict[str, object] | None = None
    gateway: dict[str, object] | None = None


class Reconciliation(BaseModel):
    since: datetime | None
    ledger_entries: int
    gateway_transactions: int
    matched: int
    differences: list[Difference]

    @property
    def clean(self) -> bool:
        return not self.differences


_COMPARED = ("operation", "amount", "currency", "reference")


def _ledger_side(entry: PaymentLedgerEntry) -> dict[str, object]:
    return {
        "operation": entry.operation,
        "amount": entry.amount,
        "currency": entry.currency,
        "reference": entry.gateway_reference,
    }


def _gateway_side(txn: GatewayTransaction) -> dict[str, object]:
    return {
        "operation": txn.operation,
        "amount": txn.amount,
        "currency": txn.currency,
        "reference": txn.reference,
    }


def compare(
    entries: Iterable[PaymentLedgerEntry],
    transactions: Iterable[GatewayTransaction],
    keys: Iterable[str] | None = None,
) -> tuple[int, list[Difference]]:
    """(matched, differences) over ``keys`` (default: every key of either side)."""
    ours = {e.idempotency_key: e for e in entries if e.outcome == "succeeded"}
    theirs = {t.idempotency_key: t for t in transactions}
    differences: list[Difference] = []
    matched = 0
    for key in sorted(ours.keys() | theirs.keys() if keys is None else set(keys)):
        entry, txn = ours.get(key), theirs.get(key)
        if entry is None:
            assert txn is not None
            differences.append(
                Difference(
                    kind="missing_in_ledger",
                    idempotency_key=key,
                    order_id=payment_key_order_id(key),
                    operation=txn.operation,
                    gateway=_gateway_side(txn),
                )
            )
            continue
        if txn is None:
            differences.append(
                Difference(
                    kind="missing_at_gateway",
                    idempotency_key=key,
                    order_id=entry.order_id,
                    operation=entry.operation,
                    ledger=_ledger_side(entry),
                )
            )
            continue
        a, b = _ledger_side(entry), _gateway_side(txn)
        fields = [f for f in _COMPARED if a[f] != b[f]]
        if fields:
            differences.append(
                Difference(
                    kind="mismatch",
                    idempotency_key=key,
                    order_id=entry.order_id,
                    operation=entry.operation,
                    fields=fields,
                    ledger=a,
                    gateway=b,
                )
            )
        else:
            matched += 1
    return matched, differences


def reconcile(
    db: Database, gateway: PaymentGateway, *, since: datetime | None = None
) -> Reconciliation:
    """Compare the ledger's rows and the gateway's operations from ``since`` (all when None).
    The ledger's row is written a moment after the gateway's operation, so an operation near
    ``since`` can fall on either side of it: each one in the window is looked up on the other
    side whatever its time."""
    transactions = list(gateway.transactions())
    theirs = [t for t in transactions if since is None or t.created_at >= since]
    with db.reading() as s:
        ours = [e for e in ledger.entries(s, since=since) if e.outcome == "succeeded"]
        known = {e.idempotency_key for e in ours}
        late = [
            ledger.entry(s, t.idempotency_key) for t in theirs if t.idempotency_key not in known
        ]
    keys = {e.idempotency_key for e in ours} | {t.idempotency_key for t in theirs}
    entries = ours + [e for e in late if e is not None]
    matched, differences = compare(entries, transactions, keys)
    return Reconciliation(
        since=since,
        ledger_entries=len(ours),
        gateway_transactions=len(theirs),
        matched=matched,
        differences=differences,
    )
