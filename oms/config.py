"""All settings, read from the environment with the ``OMS_`` prefix."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

DURATION_FORMAT = "a duration in seconds (30, 0.5) or in ISO 8601 (PT30S, PT4H, P3D)"
_SECONDS = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_TIMEDELTA = TypeAdapter(timedelta)


def _duration(value: Any) -> Any:
    """A variable's text as a duration: plain seconds, else what pydantic reads (ISO 8601,
    ``HH:MM:SS``); anything else is refused with the formats it takes."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if _SECONDS.match(text):
            return timedelta(seconds=float(text))
        return _TIMEDELTA.validate_python(text)
    except ValidationError:
        raise ValueError(f"expected {DURATION_FORMAT}") from None
    except OverflowError:
        raise ValueError("too long a duration") from None


def _not_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError(f"a duration cannot be negative; expected {DURATION_FORMAT}")
    return value


# Every duration setting: OMS_X=30 is 30 seconds, OMS_X=PT4H four hours.
Duration = Annotated[timedelta, BeforeValidator(_duration), AfterValidator(_not_negative)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMS_", env_file=".env", extra="ignore")

    # Where `oms dev` keeps its data: the Temporal dev server's SQLite file, the OMS
    # database and the demo API keys.
    home: Path = Path(".oms")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to a SQLite file under `home`."
    )

    temporal_address: str | None = Field(
        default=None, description="host:port of the Temporal frontend; defaults to localhost."
    )
    temporal_namespace: str = "default"
    task_queue: str = "oms-orders"
    # The patch level new order and return runs start at (workflows/patch_levels.py): raise it
    # only once every worker runs code that knows the level (docs/workflows.md, rolling out a
    # level). 0: every patch asked as it always was. `oms dev` starts at the newest.
    patch_level: int = Field(default=0, ge=0)

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    temporal_port: int = 7233
    ui_port: int = 8233

    # Fraud: scores at or above review go to an analyst, at or above reject are refused.
    fraud_review_threshold: int = 40
    fraud_reject_threshold: int = 80
    fraud_risky_categories: list[str] = ["electronics", "gift_cards", "luxury"]

    # Manual review SLA: escalate at the first deadline, cancel at the second.
    review_escalate_after: Duration = timedelta(hours=4)
    review_timeout_after: Duration = timedelta(hours=24)
    # Store staff SLA for picking a fulfilment before it is escalated.
    pick_escalate_after: Duration = timedelta(hours=2)
    # How many times short-picked quantities are re-sourced elsewhere.
    max_reroutes: int = 1
    stock_retry_after: Duration = timedelta(hours=1)
    stock_wait_at_most: Duration = timedelta(days=3)
    # A capture later than this after its authorization is made on a fresh one (a card
    # authorization holds the funds about 7 days); a refused capture's task escalates after.
    authorization_valid_for: Duration = timedelta(days=6)
    payment_escalate_after: Duration = timedelta(hours=4)

    # The ATP watcher: the pause between passes once it has caught up, and how far each pass
    # re-reads behind the moment the last one began (rows are stamped before they commit).
    atp_watch_interval: Duration = timedelta(seconds=5)
    atp_watch_overlap: Duration = timedelta(seconds=10)

    # Recommendations: the pause between two counts of the orders placed since the last
    # (AffinityRefreshWorkflow, docs/recommendations.md).
    recommendations_refresh_interval: Duration = timedelta(minutes=15)

    # Webhooks out (docs/events.md): how long one relay call polls the outbox, the pause
    # between its empty passes, events and deliveries per pass, requests in flight at once
    # and each one's timeout, how long a failing delivery is retried before it is dead, and
    # how long a rotated secret still signs beside the new one.
    webhook_relay_run_for: Duration = timedelta(seconds=30)
    webhook_relay_poll: Duration = timedelta(milliseconds=200)
    webhook_relay_batch: int = 500
    webhook_concurrency: int = 16
    webhook_timeout: Duration = timedelta(seconds=10)
    webhook_retry_for: Duration = timedelta(days=3)
    webhook_rotation_grace: Duration = timedelta(hours=24)
    # The only hosts a subscription's URL may name; empty: any host.
    webhook_allowed_hosts: list[str] = []

    # Customer messages (docs/messages.md): the mail server, as smtp://[user:pass@]host[:port]
    # (add ?starttls=true to upgrade the connection) or smtps://...; unset, messages are
    # recorded as skipped and nothing is sent. The From address, each connection's timeout,
    # how long a message the server refuses for now is retried, and the loop's pacing.
    smtp_url: SecretStr | None = None
    smtp_from: str = "Orders <orders@oms.localhost>"
    smtp_timeout: Duration = timedelta(seconds=10)
    messages_retry_for: Duration = timedelta(days=1)
    messages_run_for: Duration = timedelta(seconds=30)
    messages_poll: Duration = timedelta(milliseconds=500)
    messages_batch: int = 200
    # Where `oms dev`'s own mail sink listens when smtp_url is unset; default the API's port
    # + 25 (oms.cli_dev).
    mail_sink_port: int | None = None

    # External systems: "simulator" or the base URL of the real service.
    payment_gateway_url: str = "simulator"
    payment_gateway_api_key: str = ""
    # The gateway's name: in finance events (payment.captured, payment.refunded), and in its
    # notices' URL, POST /webhooks/payments/{gateway}, signed as the sender payments:<name>.
    payment_gateway_name: str = "simulator"
    # Whether the gateway lets go of part of an authorization (an order edit lowering the
    # amount); without, the order authorizes the lower amount afresh and voids the old one.
    payment_gateway_partial_voids: bool = False
    # The payment simulator keeps its state (what it authorized, captured, voided) in this
    # SQLite file, shared by every worker process and kept across restarts, as a real gateway
    # would; defaults to payment-simulator.db under `home`.
    payment_simulator_path: Path | None = None
    carrier_url: str = "simulator"
    carrier_api_key: str = ""
    # The simulated carrier reports tracking like a real one: to the OMS API at this URL (its
    # webhook POST /webhooks/carriers/simcarrier), signed with this secret (the sender
    # carrier:simcarrier's), one status every `pace`. Unset: it reports nothing. `oms dev`
    # sets both.
    carrier_tracking_url: str | None = None
    carrier_tracking_secret: SecretStr | None = None
    carrier_tracking_pace: Duration = timedelta(minutes=1)

    log_level: str = "INFO"
    log_json: bool | None = None

    # Observability. A worker serves Prometheus metrics (the Temporal SDK's and the OMS's own)
    # on this port when it is set; the API always serves them at GET /metrics. Traces go over
    # OTLP/HTTP to this endpoint (e.g. http://collector:4318) when it is set.
    # `oms dev`'s worker serves them on the API's port + 1 when this is unset (oms.cli_dev).
    metrics_port: int | None = None

    # After POST /keys/{id}/rotate the old secret keeps working this long, so the systems using
    # it can take the new one without an outage.
    key_rotation_grace: Duration = timedelta(hours=24)
    # An Idempotency-Key is held to the request it was first used for this long (another
    # request with it is refused 422); after that the key is free again, and a worker's hourly
    # sweep deletes its row (oms.services.idempotency_keys).
    idempotency_keys_kept: Duration = timedelta(hours=24)
    # The largest request body the API reads (bulk inventory syncs stream theirs, up to 256 MiB).
    max_body_bytes: int = 2 * 1024 * 1024
    # Requests a minute per API key and API process, in bursts of a tenth of it; 0: no limit.
    rate_limit_per_minute: int = 6000

    # An order stored while Temporal was unreachable (POST /orders answered 503) is started by
    # the worker's sweep once it has waited this long without its run recording a step.
    stranded_order_after: Duration = timedelta(seconds=60)
    stranded_order_sweep: Duration = timedelta(seconds=30)
    # A delivery_exception task (no run owns it: the order's has ended) is due this long after
    # the carrier's failure and escalated (task.escalated) by the worker's sweep once overdue.
    delivery_exception_escalate_after: Duration = timedelta(hours=24)
    task_escalation_sweep: Duration = timedelta(seconds=60)
    otlp_endpoint: str | None = None

    # Payload encryption (oms/codec.py, docs/operations.md "Payload encryption"): keys as
    # `<id>:<base64 of 32 bytes>`, comma-separated, in the variable or in a file (a mounted
    # secret); the first encrypts, every one decrypts. A worker or the API refuses to start
    # without keys unless encryption is turned off, which leaves payloads readable in Temporal.
    payload_keys: SecretStr | None = None
    payload_keys_file: Path | None = None
    payload_encryption: bool = True
    # Browser origins allowed to call /codec (the Temporal UI's); none set: the local UI on
    # ui_port, by name and by address.
    codec_cors_origins: list[str] | None = None
    # Also take the API key from the codec's path (/codec/key/<key>/decode): the Temporal UI
    # can send no header of its own choosing without a login of its own (`oms dev` turns it on).
    codec_key_in_path: bool = False

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'oms.db').as_posix()}"

    @property
    def payment_simulator_file(self) -> Path:
        return self.payment_simulator_path or self.home / "payment-simulator.db"

    @property
    def temporal_target(self) -> str:
        return self.temporal_address or f"localhost:{self.temporal_port}"

    @property
    def codec_origins(self) -> list[str]:
        if self.codec_cors_origins is not None:
            return self.codec_cors_origins
        return [f"http://localhost:{self.ui_port}", f"http://127.0.0.1:{self.ui_port}"]


class InvalidSettings(SystemExit):
    """Settings that cannot be read: one line per variable at fault, to stop with (an
    ``oms`` command prints it and exits 1, never with a traceback)."""


def load_settings() -> Settings:
    """The settings from the environment (and ``.env``).

    Raises:
        InvalidSettings: a variable that does not hold a value of its setting's type.
    """
    try:
        return Settings()
    except ValidationError as exc:
        raise InvalidSettings("\n".join(_problem(e) for e in exc.errors())) from None
    except SourceError as exc:  # a list setting that is not JSON
        field = re.search(r'field "(\w+)"', str(exc))
        name = _variable(field.group(1)) if field else "a setting"
        raise InvalidSettings(f"oms: {name} is not valid JSON ({exc.__cause__})") from None


def _variable(field: str) -> str:
    return f"OMS_{field.upper()}"


def _problem(error: Any) -> str:
    name = _variable(str(error["loc"][0])) if error["loc"] else "a setting"
    reason = str(error["msg"]).removeprefix("Value error, ")
    shown = error.get("input")
    if isinstance(shown, str) and not _is_secret(str(error["loc"][0])):
        return f"oms: {name}={shown!r} is not valid: {reason}"
    return f"oms: {name} is not valid: {reason}"


def _is_secret(field: str) -> bool:
    info = Settings.model_fields.get(field)
    return info is not None and "SecretStr" in str(info.annotation)


@lru_cache
def get_settings() -> Settings:
    return load_settings()
