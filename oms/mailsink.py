"""A local mail server for `oms dev` and tests: it takes every message sent to it over SMTP and
keeps each one as an ``.eml`` file in a folder (any mail client opens them), instead of
delivering it. aiosmtpd runs it in a thread of its own."""

from __future__ import annotations

import asyncio
import itertools
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from oms.devserver import free_port

URL_FILE = "mail-sink.url"  # in OMS_HOME while `oms dev` runs: `oms env` exports it


class _Keeper:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._seq = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        to = re.sub(r"[^A-Za-z0-9@._-]", "_", ",".join(envelope.rcpt_tos))[:80]
        name = f"{stamp}-{next(self._seq):04d}-{to}.eml"
        content: bytes = envelope.original_content or envelope.content
        await asyncio.to_thread((self.folder / name).write_bytes, content)
        return f"250 OK kept as {name}"


class MailSink:
    """``with MailSink(folder) as sink:`` a mail server at ``sink.url`` until the block ends."""

    def __init__(self, folder: Path, *, host: str = "127.0.0.1", port: int | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.host = host
        self.port = port or free_port()
        self._controller = Controller(_Keeper(folder), hostname=host, port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def messages(self) -> list[Path]:
        """The messages kept so far, oldest first."""
        return sorted(self.folder.glob("*.eml"))

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
