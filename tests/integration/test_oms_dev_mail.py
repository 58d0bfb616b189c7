"""`oms dev` keeps every customer message as a file under OMS_HOME/mail/ (its local mail sink),
and `oms env` points a worker started by hand at the same sink."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import httpx

from oms.devserver import free_port
from tests.integration.test_oms_dev import ORDER, oms_dev


def test_oms_dev_keeps_the_confirmation_email_in_its_mail_folder(tmp_path: Path) -> None:
    ports = {
        "OMS_API_PORT": free_port(),
        "OMS_TEMPORAL_PORT": free_port(),
        "OMS_UI_PORT": free_port(),
    }
    body = {**ORDER, "id": "DEV-MAIL-1"}
    folder = tmp_path / "mail"
    with oms_dev(tmp_path, ports) as base:
        keys = json.loads((tmp_path / "dev-keys.json").read_text())
        shop = {"Authorization": f"Bearer {keys['storefront']}"}
        placed = httpx.post(f"{base}/orders", json=body, headers=shop, timeout=10)
        assert placed.status_code == 201, placed.text
        deadline = time.monotonic() + 60
        url = f"{base}/orders/DEV-MAIL-1/messages"
        while True:  # recorded sent once the sink has taken it
            listed = httpx.get(url, headers=shop, timeout=10).json()["items"]
            if listed and listed[0]["status"] != "pending":
                break
            assert time.monotonic() < deadline, f"no message sent: {listed}"
            time.sleep(0.3)
        env = {**os.environ, "OMS_HOME": str(tmp_path)}
        env.pop("OMS_SMTP_URL", None)
        exported = subprocess.run(
            [str(Path(sys.executable).parent / "oms"), "env"],
            env={**env, **{k: str(v) for k, v in ports.items()}},
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    [kept] = list(folder.glob("*.eml"))
    message = message_from_bytes(kept.read_bytes(), policy=policy.default)

    assert message["To"] == ORDER["customer"]["email"]  # type: ignore[index]
    assert message["Subject"] == "Votre commande DEV-MAIL-1 est confirmée"  # web-fr is French
    [recorded] = listed
    assert (recorded["kind"], recorded["status"]) == ("order_confirmed", "sent")
    assert "export OMS_SMTP_URL=smtp://127.0.0.1:" in exported
    assert not (tmp_path / "mail-sink.url").exists()  # stopped: oms env no longer points at it
