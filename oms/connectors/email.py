"""Sends customer messages by email over SMTP (``OMS_SMTP_URL``), with the standard library's
client and explicit timeouts. Failures come out as two domain errors: ``EmailUnavailable``
(the server cannot be reached, times out, or answers 4xx: try again later) and ``EmailRefused``
(it answers 5xx for this message: trying again will not help)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit


class EmailError(Exception):
    """The message was not sent."""


class EmailUnavailable(EmailError):
    """Not sent this time; the same message may go later."""


class EmailRefused(EmailError):
    """Refused for good (an unknown mailbox, a message the server will never take)."""


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str
    locale: str
    message_id: str  # the Message-ID header, the same on every attempt


class EmailSender(Protocol):
    def send(self, email: OutgoingEmail) -> str:
        """Send it; answers the provider's id for it. Raises EmailUnavailable or
        EmailRefused."""
        ...


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: bool  # smtps://: TLS from the first byte
    starttls: bool  # smtp://...?starttls=true: upgraded after EHLO
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpConfig:
    """``smtp://[user:pass@]host[:port][?starttls=true]`` (port 25) or ``smtps://...`` (465).
    Raises ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("OMS_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
    tls = parts.scheme == "smtps"
    flag = parse_qs(parts.query).get("starttls", ["false"])[-1].lower()
    return SmtpConfig(
        host=parts.hostname,
        port=parts.port or (465 if tls else 25),
        tls=tls,
        starttls=not tls and flag in ("1", "true", "yes"),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def sender_domain(sender: str) -> str:
    """The domain of a From address (``Orders <orders@shop.example>``: ``shop.example``)."""
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "oms.localhost"


def build_message(email: OutgoingEmail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = email.message_id
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    msg["Content-Language"] = email.locale  # after the parts: set_content drops Content-*
    return msg


def _refusal(code: int, what: bytes | str) -> EmailError:
    text = what.decode(errors="replace") if isinstance(what, bytes) else str(what)
    error = f"SMTP {code}: {text}"[:500]
    return EmailRefused(error) if 500 <= code < 600 else EmailUnavailable(error)


class SmtpSender:
    """One connection per message: customer messages are few next to what a connection
    costs, and nothing is left open between passes."""

    def __init__(self, url: str, *, sender: str, timeout: float) -> None:
        self.config = parse_smtp_url(url)
        self.sender = sender
        self.timeout = timeout

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.tls:
            return smtplib.SMTP_SSL(
                c.host, c.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        smtp = smtplib.SMTP(c.host, c.port, timeout=self.timeout)
        if c.starttls:
            smtp.starttls(context=ssl.create_default_context())
        return smtp

    def send(self, email: OutgoingEmail) -> str:
        msg = build_message(email, self.sender)
        try:
            with self._connect() as smtp:
                if self.config.username:
                    smtp.login(self.config.username, self.config.password or "")
                refused = smtp.send_message(msg, from_addr=parseaddr(self.sender)[1])
        except smtplib.SMTPRecipientsRefused as exc:
            code, what = next(iter(exc.recipients.values()))
            raise _refusal(code, what) from exc
        except smtplib.SMTPAuthenticationError as exc:
            # Our credentials, not this message: fixed in the settings, the message can go.
            raise EmailUnavailable(f"SMTP authentication failed ({exc.smtp_code})") from exc
        except smtplib.SMTPResponseException as exc:
            raise _refusal(exc.smtp_code, exc.smtp_error) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise EmailUnavailable((str(exc) or type(exc).__name__)[:500]) from exc
        if refused:  # one recipient only: a refusal of it is the whole message's
            code, what = next(iter(refused.values()))
            raise _refusal(code, what)
        return email.message_id
