"""A real SMTP server for tests (aiosmtpd, in a thread of its own): it keeps every message it
takes, parsed, and refuses the recipients it is told to with a 550."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from oms.devserver import free_port


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.server.refuse:
            return "550 5.1.1 no such mailbox"
        if self.server.busy > 0:
            self.server.busy -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.server.received.append(message)
        return "250 OK"


class MailServer:
    """``with MailServer() as mail:`` mail at ``mail.url``; ``mail.received`` as it arrives."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[EmailMessage] = []
        self.refuse: set[str] = set()
        self.busy = 0  # recipients answered 451 (try again later) before any is taken
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]

    def __enter__(self) -> MailServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())
