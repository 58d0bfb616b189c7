"""Where `oms dev`'s own servers listen: the worker's metrics and the mail sink beside the
API's port, the same at every start, a setting kept as it is, and a default another program
holds replaced by a free port with one line that says so."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import SecretStr

from oms.cli_dev import dev_ports, in_use
from oms.config import Settings
from oms.devserver import free_port


@contextmanager
def listening() -> Iterator[int]:
    """A port another program listens on, for as long as the block runs."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def _api_port_with_room() -> int:
    while True:
        port = free_port()
        if not in_use(port + 1) and not in_use(port + 25):
            return port


def test_the_workers_metrics_and_the_mail_sink_go_next_to_the_api_at_every_start(
    tmp_path: Path,
) -> None:
    api_port = _api_port_with_room()
    settings = Settings(home=tmp_path, api_port=api_port)

    first, told = dev_ports(settings)
    again, _ = dev_ports(settings)

    assert (first.metrics_port, first.mail_sink_port) == (api_port + 1, api_port + 25)
    assert (again.metrics_port, again.mail_sink_port) == (first.metrics_port, first.mail_sink_port)
    assert told == []


def test_a_port_set_is_kept_and_no_sink_port_is_taken_when_mail_goes_to_a_real_server(
    tmp_path: Path,
) -> None:
    settings = Settings(
        home=tmp_path,
        api_port=_api_port_with_room(),
        metrics_port=9464,
        smtp_url=SecretStr("smtp://mail.example:25"),
    )

    chosen, told = dev_ports(settings)

    assert chosen.metrics_port == 9464
    assert chosen.mail_sink_port is None
    assert told == []


def test_a_default_port_in_use_is_replaced_by_a_free_one_and_said(tmp_path: Path) -> None:
    with listening() as busy:
        settings = Settings(home=tmp_path, api_port=busy - 1)

        chosen, told = dev_ports(settings)

        assert chosen.metrics_port != busy
        assert chosen.metrics_port is not None
        assert not in_use(chosen.metrics_port)
    assert told[0] == (
        f"oms dev: port {busy} (the worker's metrics: the API's port + 1) is in use;"
        f" {chosen.metrics_port} this time (set OMS_METRICS_PORT to choose one)"
    )
