"""`oms keys`: API keys on the command line, for a deployment without demo data (the API's
`/keys` does the same for admin keys over HTTP)."""

from __future__ import annotations

import argparse
import json
import sys

from oms.config import Settings


def add_keys_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys_parser = sub.add_parser("keys", help="API keys, for a deployment without demo data")
    keys_sub = keys_parser.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="issue a key and print its secret, once")
    create.add_argument(
        "--role", required=True, choices=["storefront", "analyst", "store", "integration", "admin"]
    )
    create.add_argument("--name", default=None, help="who uses it (default: the role)")
    create.add_argument(
        "--channel", action="append", dest="channels", help="storefront keys: a channel (repeat)"
    )
    create.add_argument("--location", default=None, help="store keys: the location")
    create.add_argument(
        "--expires-at", default=None, help="ISO 8601 time with an offset; default: never"
    )


def run_keys_command(settings: Settings, args: argparse.Namespace) -> int:
    return cmd_keys_create(
        settings,
        role=args.role,
        name=args.name or args.role,
        channels=args.channels,
        location_id=args.location,
        expires_at=args.expires_at,
    )


def cmd_keys_create(
    settings: Settings,
    *,
    role: str,
    name: str,
    channels: list[str] | None,
    location_id: str | None,
    expires_at: str | None,
) -> int:
    """Issue a key in the configured database and print it as JSON, its secret included (the
    only time it is shown). Refusals go to stderr, exit code 2."""
    from datetime import datetime

    from oms.db import api_keys
    from oms.db.engine import Database

    try:
        expiry = datetime.fromisoformat(expires_at) if expires_at else None
        if expiry is not None and expiry.tzinfo is None:
            raise ValueError("--expires-at needs an offset, e.g. 2027-01-01T00:00:00+00:00")
    except ValueError as err:
        print(f"oms keys create: {err}", file=sys.stderr)
        return 2
    db = Database(settings.db_url)
    try:
        with db.session() as s:
            problems = api_keys.scope_problems(s, location_id=location_id, channels=channels)
            if problems:
                for p in problems:
                    print(f"oms keys create: {p.field}: {p.reason}", file=sys.stderr)
                return 2
            try:
                row, secret = api_keys.issue_key(
                    s,
                    role=role,
                    name=name,
                    location_id=location_id,
                    channels=channels,
                    expires_at=expiry,
                )
            except ValueError as err:
                print(f"oms keys create: {err}", file=sys.stderr)
                return 2
            key_id = row.id
    finally:
        db.dispose()
    made = {"id": key_id, "role": role, "name": name, "secret": secret}
    print(json.dumps(made, indent=2))
    return 0
