"""A webhook receiver on a free local port, in a thread: it checks each request's signature
with oms.webhooks.verify, records the events it accepts and answers what ``answer`` says (the
tests make it fail at first; the benchmark times each arrival)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from oms.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, SignatureError, verify


@dataclass
class Received:
    event: dict[str, Any]
    event_id: str
    at: float  # time.time() on arrival


@dataclass
class Receiver:
    """``answer(event, attempt)`` gives the HTTP status for an event's n-th request (1-based);
    a request whose signature does not hold with any of ``secrets`` is answered 401."""

    secrets: list[str]
    answer: Callable[[dict[str, Any], int], int] = lambda event, attempt: 200
    accepted: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.handle(
                    self.headers.get(SIGNATURE_HEADER), self.headers.get(EVENT_ID_HEADER), body
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def handle(self, signature: str | None, event_id: str | None, body: bytes) -> int:
        if not any(_holds(s, signature, body) for s in self.secrets):
            with self.lock:
                self.refused.append(event_id or "")
            return 401
        event = json.loads(body)
        with self.lock:
            attempt = self.attempts[event["id"]] = self.attempts.get(event["id"], 0) + 1
        status = self.answer(event, attempt)
        if 200 <= status < 300:
            with self.lock:
                self.accepted.append(Received(event, event_id or "", time.time()))
        return status

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _holds(secret: str, signature: str | None, body: bytes) -> bool:
    try:
        verify(secret, signature, body)
    except SignatureError:
        return False
    return True
