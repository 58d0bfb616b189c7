"""`oms env` and the demo keys: what `eval "$(.venv/bin/oms env)"` leaves in a shell, and the
one line a user reads when the stack was never started."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from oms.cli_dev import oms_command
from oms.cli_env import env_exports, store_variable
from oms.config import Settings

OMS = str(Path(sys.executable).parent / "oms")


def _shell(exports: list[str], *names: str) -> list[str]:
    script = "\n".join(exports) + "\n" + "".join(f'printf "%s\\n" "${n}"\n' for n in names)
    out = subprocess.run(["bash", "-c", script], check=True, capture_output=True, text=True)
    return out.stdout.splitlines()


def test_store_variables_are_names_a_shell_accepts() -> None:
    assert store_variable("ST-PARIS-OPERA") == "STORE_ST_PARIS_OPERA"
    assert store_variable("st.lyon 2") == "STORE_ST_LYON_2"


def test_eval_of_oms_env_sets_the_api_the_role_keys_and_one_key_per_store(
    tmp_path: Path,
) -> None:
    settings = Settings(
        home=tmp_path,
        api_host="127.0.0.1",
        api_port=18123,
        temporal_address=None,
        temporal_port=17999,
        ui_port=18999,
    )
    keys = {
        "storefront": "shop'key with $pace",
        "analyst": "k-analyst",
        "integration": "k-integration",
        "admin": "k-admin",
        "store:ST-PARIS-OPERA": "k-opera",
        "store:ST-LYON-PRESQUILE": "k-lyon",
    }

    values = _shell(
        env_exports(settings, keys),
        "API",
        "SHOP",
        "ANALYST",
        "INTEGRATION",
        "ADMIN",
        "STORE_ST_PARIS_OPERA",
        "STORE_ST_LYON_PRESQUILE",
        "TEMPORAL_ADDRESS",
        "TEMPORAL_UI",
        "OMS_HOME",
        "OMS_API_PORT",
    )

    assert values == [
        "http://127.0.0.1:18123",
        "shop'key with $pace",
        "k-analyst",
        "k-integration",
        "k-admin",
        "k-opera",
        "k-lyon",
        "127.0.0.1:17999",
        "http://127.0.0.1:18999",
        str(tmp_path.resolve()),
        "18123",
    ]


async def test_oms_env_points_later_oms_commands_at_the_dev_payload_key(tmp_path: Path) -> None:
    from pydantic import SecretStr
    from temporalio.api.common.v1 import Payload

    from oms.payload_keys import dev_keys
    from oms.temporal import payload_codec

    spec = dev_keys(tmp_path)  # what `oms dev` made on its first start
    [path] = _shell(env_exports(Settings(home=tmp_path), {}), "OMS_PAYLOAD_KEYS_FILE")
    sealed = await payload_codec(Settings(payload_keys=SecretStr(spec))).encode(
        [Payload(metadata={"encoding": b"json/plain"}, data=b'{"id": "WEB-1"}')]
    )

    # A worker started in that shell opens what the stack sealed.
    [opened] = await payload_codec(Settings(payload_keys_file=Path(path))).decode(sealed)
    assert opened.data == b'{"id": "WEB-1"}'


def test_an_api_listening_on_every_interface_is_reached_on_loopback() -> None:
    exports = env_exports(Settings(api_host="0.0.0.0", api_port=9000), {})

    assert _shell(exports, "API") == ["http://127.0.0.1:9000"]


@pytest.mark.parametrize("command", [["env"], ["simulate", "--orders", "1"]])
def test_without_dev_keys_the_command_says_so_in_one_line_and_fails(
    tmp_path: Path, command: list[str]
) -> None:
    env = {**os.environ, "OMS_HOME": str(tmp_path / "never-started")}

    done = subprocess.run([OMS, *command], env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert "no demo API keys" in done.stderr
    assert "make dev" in done.stderr


def test_a_damaged_dev_keys_file_is_one_line_too(tmp_path: Path) -> None:
    (tmp_path / "dev-keys.json").write_text("{not json")
    env = {**os.environ, "OMS_HOME": str(tmp_path)}

    done = subprocess.run([OMS, "env"], env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "cannot read the demo API keys" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_command_the_banner_prints_keeps_a_data_folder_with_a_space(tmp_path: Path) -> None:
    home = tmp_path / "my stack"
    line = oms_command(Settings(home=home, api_port=8100), "simulate", "--orders", "5")
    done = subprocess.run(
        ["bash", "-c", f"set -- {line}; printf '%s\\n' \"$@\""],
        capture_output=True,
        text=True,
        check=True,
    )
    words = done.stdout.splitlines()
    assert f"OMS_HOME={home}" in words
    assert "OMS_API_PORT=8100" in words
    assert words[-3:] == ["simulate", "--orders", "5"]
