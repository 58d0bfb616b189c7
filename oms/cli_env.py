"""What `oms env` prints and what `oms dev` shows: the stack's URLs, the demo keys, and the
`export` lines that let a shell (and the `oms` commands started in it) reach the stack."""

from __future__ import annotations

import json
import re
import shlex

from oms.config import Settings
from oms.keys import store_of_key_name
from oms.mailsink import URL_FILE
from oms.payload_keys import DEV_KEY_FILE


def _reachable(host: str) -> str:
    """A listening address as a client on this machine reaches it, ready for a URL."""
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"  # listening everywhere: this machine answers on loopback
    if ":" in host:
        return f"[{host}]"
    return host


def api_url(settings: Settings) -> str:
    """The API's base URL as a client on this machine reaches it."""
    return f"http://{_reachable(settings.api_host)}:{settings.api_port}"


def worker_metrics_url(settings: Settings) -> str | None:
    """Where `oms dev`'s worker serves its metrics: beside the API, on OMS_METRICS_PORT."""
    if settings.metrics_port is None:
        return None
    return f"http://{_reachable(settings.api_host)}:{settings.metrics_port}/metrics"


def load_dev_keys(settings: Settings) -> dict[str, str]:
    """The demo keys `oms dev` wrote, or a one-line reason to stop (never a traceback)."""
    path = settings.home / "dev-keys.json"
    try:
        keys = json.loads(path.read_text())
    except FileNotFoundError:
        raise SystemExit(
            f"oms: no demo API keys at {path}: start the stack with `make dev` first, "
            "with the same OMS_HOME"
        ) from None
    except (OSError, ValueError) as exc:
        raise SystemExit(f"oms: cannot read the demo API keys at {path}: {exc}") from None
    if not isinstance(keys, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in keys.items()
    ):
        raise SystemExit(f"oms: {path} is not a JSON object of key names to keys")
    return keys


# The shell variable each role's demo key goes into.
ROLE_VARIABLES = {
    "storefront": "SHOP",
    "analyst": "ANALYST",
    "integration": "INTEGRATION",
    "admin": "ADMIN",
}


def store_variable(location_id: str) -> str:
    """`ST-PARIS-OPERA` -> `STORE_ST_PARIS_OPERA`: a name a shell accepts."""
    return "STORE_" + re.sub(r"[^A-Z0-9]", "_", location_id.upper())


def env_exports(settings: Settings, keys: dict[str, str]) -> list[str]:
    """`export` lines for the API URL, one key per role and store, the Temporal CLI (which
    reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE), and the OMS_ settings that found this
    stack, so that later `oms` commands in the same shell (simulate) reach it too."""
    values = {
        "OMS_HOME": str(settings.home.resolve()),
        "OMS_API_PORT": str(settings.api_port),
        "OMS_TEMPORAL_PORT": str(settings.temporal_port),
        "OMS_UI_PORT": str(settings.ui_port),
        "API": api_url(settings),
        "TEMPORAL_ADDRESS": settings.temporal_address or f"127.0.0.1:{settings.temporal_port}",
        "TEMPORAL_NAMESPACE": settings.temporal_namespace,
        "TEMPORAL_UI": f"http://127.0.0.1:{settings.ui_port}",
    }
    sink_url = settings.home / URL_FILE
    if settings.smtp_url is None and sink_url.exists():
        # A worker started by hand in this shell sends its messages to `oms dev`'s mail sink.
        values["OMS_SMTP_URL"] = sink_url.read_text().strip()
    dev_key_file = settings.home / DEV_KEY_FILE
    if not (settings.payload_keys or settings.payload_keys_file) and dev_key_file.exists():
        # Another `oms worker` or `oms api` started in this shell opens what the stack seals.
        values["OMS_PAYLOAD_KEYS_FILE"] = str(dev_key_file.resolve())
    for role, variable in ROLE_VARIABLES.items():
        if role in keys:
            values[variable] = keys[role]
    for name, key in sorted(keys.items()):
        location_id = store_of_key_name(name)
        if location_id is not None:
            values[store_variable(location_id)] = key
    return [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
