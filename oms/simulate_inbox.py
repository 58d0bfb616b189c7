"""The simulated customers' inbox: the collection codes `oms simulate`'s customers are sent.

A customer collects with the code the OMS sends them when their order is ready (event
`fulfilment.ready_for_collection`, docs/fulfilment.md "Collection"); the simulation hears it
as any other system does, through a signed webhook subscription (docs/events.md) to a small
HTTP receiver of its own on this machine, which keeps the codes of its own run's orders. The
subscription is removed when the run ends.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from oms.simulate_api import refusal
from oms.webhooks import SIGNATURE_HEADER, SignatureError, verify

READY = "fulfilment.ready_for_collection"


class CodeInbox:
    """``inbox.open(http, admin_headers)``, then ``inbox.code(fulfilment_id)`` once the
    fulfilment is ready for collection; ``inbox.close(...)`` unsubscribes and stops."""

    def __init__(self, ours: Callable[[str], bool], host: str = "127.0.0.1") -> None:
        self.ours = ours
        self.host = host
        self.secret = "whsec_" + secrets.token_urlsafe(32)
        self.codes: dict[str, str] = {}
        self.problem: str | None = f"not subscribed to {READY}"
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._subscription: str | None = None

    def open(self, http: httpx.Client, admin: dict[str, str]) -> str | None:
        """Listen on a free port and subscribe to it; None when subscribed, else why not (in
        one line)."""
        self._server = ThreadingHTTPServer((self.host, 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        url = f"http://{self.host}:{self._server.server_address[1]}/events"
        made = http.post(
            "/webhooks/subscriptions",
            headers=admin,
            json={"url": url, "events": [READY], "secret": self.secret},
        )
        if made.status_code != 201:
            self.problem = f"could not subscribe {url} to {READY}: {refusal(made)}"
            return self.problem
        self._subscription = str(made.json()["id"])
        self.problem = None
        return None

    def close(self, http: httpx.Client, admin: dict[str, str]) -> None:
        """Unsubscribe, and stop listening."""
        if self._subscription is not None:
            http.delete(f"/webhooks/subscriptions/{self._subscription}", headers=admin)
            self._subscription = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def code(self, fulfilment_id: str) -> str | None:
        with self._lock:
            return self.codes.get(fulfilment_id)

    def take(self, body: bytes, signature: str | None) -> int:
        """One delivery: the HTTP status to answer."""
        try:
            verify(self.secret, signature, body)
        except SignatureError:
            return 401
        try:
            event = json.loads(body)
            data: dict[str, Any] = event["data"]
            if event["type"] == READY and self.ours(str(data["order_id"])):
                with self._lock:
                    self.codes[str(data["fulfilment_id"])] = str(data["collection_code"])
        except (ValueError, KeyError, TypeError):
            return 400
        return 204


def _handler(inbox: CodeInbox) -> type[BaseHTTPRequestHandler]:
    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            status = inbox.take(self.rfile.read(length), self.headers.get(SIGNATURE_HEADER))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return  # the simulation's output is its summary, not an access log

    return Receiver
