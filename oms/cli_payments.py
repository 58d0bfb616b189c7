"""`oms payments reconcile`: the payment ledger compared with the gateway's own record."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from oms.config import Settings


def add_payments_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    payments = sub.add_parser("payments", help="the payment ledger")
    payments_sub = payments.add_subparsers(dest="payments_command", required=True)
    reconcile = payments_sub.add_parser(
        "reconcile",
        help="compare the ledger with the gateway's record; exit 1 when they differ",
    )
    reconcile.add_argument(
        "--since", default=None, help="ISO 8601 time with an offset; default: everything"
    )


def run_payments_command(settings: Settings, args: argparse.Namespace) -> int:
    """Print the reconciliation as JSON. Exit 0 when the two agree, 1 when they differ, 2 when
    the command is wrong or the gateway cannot be read."""
    from oms.connectors.payments import PaymentError
    from oms.db.engine import Database
    from oms.services.payment_reconcile import reconcile
    from workers.main import payment_gateway

    try:
        since = datetime.fromisoformat(args.since) if args.since else None
        if since is not None and since.tzinfo is None:
            raise ValueError("--since needs an offset, e.g. 2027-01-01T00:00:00+00:00")
    except ValueError as exc:
        print(f"oms payments reconcile: {exc}", file=sys.stderr)
        return 2
    db = Database(settings.db_url)
    try:
        report = reconcile(db, payment_gateway(settings), since=since)
    except PaymentError as exc:
        print(f"oms payments reconcile: the gateway's record: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    print(report.model_dump_json(indent=2))
    return 0 if report.clean else 1
