"""What `oms dev` decides and shows beside the API: the ports of its own servers (the worker's
metrics and the mail sink), and its banner, printed once the API answers.

The worker's metrics and the mail sink listen on fixed ports next to the API's, so that a URL
taken from the banner or from `oms env` (OMS_SMTP_URL) still holds after a restart: the API's
port + 1 (8001) and + 25 (8025); a stack started on other API ports gets its own beside them.
OMS_METRICS_PORT and OMS_MAIL_SINK_PORT choose others. A default that something else already
listens on is replaced by a free port for this run, and the terminal is told.
"""

from __future__ import annotations

import asyncio
import shlex
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from oms.cli_env import api_url, worker_metrics_url
from oms.config import Settings
from oms.devserver import free_port
from oms.mailsink import URL_FILE, MailSink

# Where each server goes by default: this far above the API's port.
DEFAULT_OFFSETS = {"metrics_port": 1, "mail_sink_port": 25}
WHAT = {"metrics_port": "the worker's metrics", "mail_sink_port": "the mail sink"}


def in_use(port: int) -> bool:
    """Something listens on the port (on any address). A socket a stopped server left in
    TIME_WAIT does not count: the server about to bind it sets SO_REUSEADDR, as this does."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("", port))
        except OSError:
            return True
    return False


def dev_ports(settings: Settings) -> tuple[Settings, list[str]]:
    """The settings with the worker's metrics port and the mail sink's set (the mail sink's
    only when `oms dev` runs one: OMS_SMTP_URL unset), and a line for each default that was
    taken and replaced by a free port. A port set by its setting is kept as it is."""
    updates: dict[str, int] = {}
    told: list[str] = []
    for name, offset in DEFAULT_OFFSETS.items():
        if getattr(settings, name) is not None:
            continue
        if name == "mail_sink_port" and settings.smtp_url is not None:
            continue
        port = settings.api_port + offset
        if port > 65535 or in_use(port):
            instead = free_port()
            told.append(
                f"oms dev: port {port} ({WHAT[name]}: the API's port + {offset}) is in use;"
                f" {instead} this time (set OMS_{name.upper()} to choose one)"
            )
            port = instead
        updates[name] = port
    return settings.model_copy(update=updates), told


async def when_answering(api: str, then: Callable[[], None], pause: float = 0.1) -> None:
    """Call ``then`` once ``GET /healthz`` answers 200: the API listens and reaches both the
    database and Temporal (the worker started before it)."""
    async with httpx.AsyncClient(timeout=2.0) as http:
        while True:
            try:
                if (await http.get(f"{api}/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(pause)
    then()


def oms_command(settings: Settings, *args: str) -> str:
    """An `oms` command line that reaches this very stack (its OMS_HOME and ports)."""
    env = [
        f"OMS_{name.upper()}={shlex.quote(str(getattr(settings, name)))}"
        for name in ("home", "api_port", "temporal_port", "ui_port")
        if getattr(settings, name) != Settings.model_fields[name].default
    ]
    oms = Path(sys.executable).parent / "oms"
    try:
        shown = str(oms.relative_to(Path.cwd()))
    except ValueError:
        shown = str(oms)
    return " ".join([*env, shlex.quote(shown), *args])


def dev_mail_sink(settings: Settings) -> MailSink | None:
    """The local mail server `oms dev` sends customer messages to, on OMS_MAIL_SINK_PORT
    (``dev_ports``), unless OMS_SMTP_URL names a real one; its URL is left in OMS_HOME for
    `oms env`."""
    if settings.smtp_url is not None:
        return None
    sink = MailSink(settings.home / "mail", port=settings.mail_sink_port).start()
    (settings.home / URL_FILE).write_text(sink.url)
    return sink


def banner(settings: Settings, dev_keys: dict[str, str], sink: MailSink | None) -> str:
    """Where everything is, the demo keys, and what to run next."""
    api = api_url(settings)
    mail = f"{sink.folder}  (SMTP {sink.url})" if sink else "sent through OMS_SMTP_URL"
    keys = "\n".join(f"  {name:28s} {key}" for name, key in dev_keys.items())
    return (
        f"\nOMS is running (data in {settings.home}/)\n"
        f"  API          {api}  (OpenAPI: {api}/docs)\n"
        f"  Console      {api}/console  (sign in with a key below)\n"
        f"  Metrics      {api}/metrics (API), {worker_metrics_url(settings)} (worker)\n"
        f"  Temporal UI  http://127.0.0.1:{settings.ui_port}\n"
        f"  Temporal     127.0.0.1:{settings.temporal_port}\n"
        f"  API keys     {settings.home / 'dev-keys.json'}\n"
        f"  Mail         {mail}\n\n"
        f"{keys}\n"
        "\nIn another terminal:\n"
        f'  eval "$({oms_command(settings, "env")})"   # exports $API, $SHOP, ...\n'
        '  curl -s "$API/orders" -H "Authorization: Bearer $SHOP"\n'
        f"  {oms_command(settings, 'simulate', '--orders', '20')}\n\n"
        f"Logs go to {settings.home / 'oms.log'}. Ctrl-C stops everything.\n"
    )
