"""The `oms` command: dev, env, worker, api, migrate, seed, simulate, expire-holds."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable

from pydantic import SecretStr

from oms.cli_dev import banner, dev_mail_sink, dev_ports, when_answering
from oms.cli_env import api_url, env_exports, load_dev_keys
from oms.cli_keys import add_keys_parser, run_keys_command
from oms.cli_payments import add_payments_parser, run_payments_command
from oms.config import Settings, get_settings
from oms.connectors.carrier_tracking import with_dev_tracking
from oms.devserver import start_dev_args
from oms.logging import configure_logging, get_logger
from oms.mailsink import URL_FILE, MailSink
from oms.payload_keys import for_dev

log = get_logger("oms.cli")


def _wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"Temporal did not start listening on {port} within {timeout:.0f}s")


def start_temporal(
    settings: Settings, *, ui_codec_endpoint: str | None = None
) -> subprocess.Popen[bytes]:
    home = settings.home
    home.mkdir(parents=True, exist_ok=True)
    args = start_dev_args(
        db_file=home / "temporal.db",
        port=settings.temporal_port,
        ui_port=settings.ui_port,
        namespace=settings.temporal_namespace,
        ui_codec_endpoint=ui_codec_endpoint,
    )
    logfile = open(home / "temporal.log", "ab")  # noqa: SIM115 (lives as long as the server)
    proc = subprocess.Popen(args, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True)
    _wait_for_port(settings.temporal_port)
    return proc


def cmd_migrate(settings: Settings) -> None:
    from oms.db.migrate import upgrade

    upgrade(settings.db_url)
    print(f"database migrated: {settings.db_url}")


def cmd_seed(settings: Settings) -> dict[str, str]:
    from oms.db.engine import Database
    from oms.seed import ensure_dev_keys, seed_catalog

    db = Database(settings.db_url)
    try:
        if seed_catalog(db):
            print("demo catalogue, locations and stock seeded")
        return ensure_dev_keys(db, settings.home / "dev-keys.json")
    finally:
        db.dispose()


def cmd_expire_holds(settings: Settings) -> int:
    """Free every cart hold past its deadline, whatever became of its timer."""
    from oms.db import cart_holds
    from oms.db.engine import Database
    from oms.db.tables import utcnow

    db = Database(settings.db_url)
    try:
        total = 0
        while expired := cart_holds.sweep(db, utcnow()):
            total += expired
        return total
    finally:
        db.dispose()


async def _serve(
    settings: Settings,
    *,
    worker: bool,
    api: bool,
    metrics_host: str = "0.0.0.0",
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Run a worker, the API or both on one Temporal client. A worker serves its metrics on
    ``metrics_host`` at ``OMS_METRICS_PORT`` when that is set: every address by default, for a
    scraper from another machine. ``on_ready`` is called once the API answers its health
    check (`oms dev`'s banner)."""
    import uvicorn
    from temporalio.service import RPCError

    from api.app import create_app
    from oms.connectors.carrier_tracking import tracking_sender
    from oms.payload_keys import PayloadKeyError
    from oms.services.appeasements import sweep_appeasements
    from oms.services.idempotency_keys import sweep_idempotency_keys
    from oms.services.order_runs import sweep_stranded
    from oms.services.payment_recoveries import sweep_recoveries
    from oms.services.task_escalation import sweep_escalations
    from oms.temporal import (
        connect,
        ensure_search_attributes,
        metrics_runtime,
        payload_codec,
        unreachable,
    )
    from oms.tracing import configure_tracing
    from workers.main import (
        Dependencies,
        build_worker,
        messages_settings,
        refresh_settings,
        relay_settings,
        watch_settings,
    )
    from workflows.affinity_refresh import start_affinity_refresh
    from workflows.atp_watch import start_atp_watch
    from workflows.customer_messages import start_customer_messages
    from workflows.webhook_relay import start_webhook_relay

    try:  # before anything starts: no keys, no worker and no API (oms.payload_keys)
        payload_codec(settings)
    except PayloadKeyError as exc:
        raise SystemExit(f"oms: {exc}") from None
    # Before connecting and creating the app: both pick tracing up when it is on.
    configure_tracing(settings, "oms" if worker and api else "oms-worker" if worker else "oms-api")
    runtime = None
    if worker and settings.metrics_port is not None:
        try:
            runtime = metrics_runtime(settings.metrics_port, host=metrics_host)
        except ValueError as exc:
            raise SystemExit(
                f"oms: cannot serve the worker's metrics on port {settings.metrics_port}"
                f" (OMS_METRICS_PORT): {exc}"
            ) from None
    # The API alone starts while Temporal is away (it stores orders and serves reads, and
    # answers 503 where it needs Temporal); a worker has nothing to do without it.
    client = await connect(settings, runtime=runtime, lazy=not worker)
    try:
        await ensure_search_attributes(client)
    except (RPCError, RuntimeError) as exc:
        if worker or (isinstance(exc, RuntimeError) and not unreachable(exc)):
            raise
        log.warning("temporal_unreachable_at_start", target=settings.temporal_target)
    tasks: list[asyncio.Task[None]] = []
    server: uvicorn.Server | None = None
    if worker:
        deps = Dependencies.from_settings(settings)
        w = build_worker(client, settings.task_queue, deps)
        tasks.append(asyncio.create_task(w.run()))
        # Orders stored while Temporal was unreachable are started once it answers again.
        tasks.append(asyncio.create_task(sweep_stranded(deps.db, client, settings)))
        # Reversed captures decided while Temporal was unreachable are carried out once it
        # answers again.
        tasks.append(asyncio.create_task(sweep_recoveries(deps.db, client, settings)))
        # Appeasements granted whose run never started (the API died first) are started.
        tasks.append(asyncio.create_task(sweep_appeasements(deps.db, client, settings)))
        # Tasks no run watches (a delivery exception's, a reversed capture's) escalate once
        # overdue.
        tasks.append(asyncio.create_task(sweep_escalations(deps.db, settings)))
        # Idempotency-Keys past their time are deleted (they already count as unused).
        tasks.append(asyncio.create_task(sweep_idempotency_keys(deps.db, settings)))
        tracking = tracking_sender(settings, deps.carrier)
        if tracking is not None:
            tasks.append(asyncio.create_task(tracking.run()))
        await start_atp_watch(client, settings.task_queue, watch_settings(settings))
        await start_webhook_relay(client, settings.task_queue, relay_settings(settings))
        await start_customer_messages(client, settings.task_queue, messages_settings(settings))
        await start_affinity_refresh(client, settings.task_queue, refresh_settings(settings))
    if api:
        app = create_app(settings, client=client)
        # log_config=None: uvicorn's lines go through the one handler (oms.logging) instead
        # of a text handler of its own writing to the same stream.
        config = uvicorn.Config(
            app,
            host=settings.api_host,
            port=settings.api_port,
            log_level="warning",
            log_config=None,
        )
        server = uvicorn.Server(config)
        tasks.append(asyncio.create_task(server.serve()))
    # Not one of `tasks`: its end is no reason to stop.
    ready = asyncio.create_task(when_answering(api_url(settings), on_ready)) if on_ready else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
    if ready is not None:
        ready.cancel()
    if server is not None:
        server.should_exit = True
    for t in tasks:
        if server is None or t is not tasks[-1]:
            t.cancel()
    stopping.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if stopping not in done:
        # The API or the worker ended by itself (a port already taken, a lost connection):
        # say so and stop, rather than run on half alive.
        ended = "the API" if server is not None and tasks[-1] in done else "the worker"
        raise SystemExit(f"oms: {ended} stopped unexpectedly; see the log above or in OMS_HOME")


def _taken_ports(settings: Settings) -> list[str]:
    """The stack's ports something else already listens on, named by their setting."""
    taken = []
    for name in ("api_port", "temporal_port", "ui_port", "metrics_port", "mail_sink_port"):
        port = getattr(settings, name)
        if port is None:
            continue
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                taken.append(f"{port} (OMS_{name.upper()})")
    return taken


def cmd_dev(settings: Settings) -> None:
    settings, moved = dev_ports(settings)
    if taken := _taken_ports(settings):
        raise SystemExit(
            f"oms dev: port {', '.join(taken)} already in use: another stack is running, or"
            " set other ports (README: Two commands)"
        )
    for line in moved:
        print(line, file=sys.stderr, flush=True)
    # The terminal keeps the banner and the keys; every log line goes to a file.
    settings.home.mkdir(parents=True, exist_ok=True)
    log_file = open(settings.home / "oms.log", "a", buffering=1)  # noqa: SIM115
    configure_logging(settings.log_level, True, file=log_file)
    settings = for_dev(settings)
    if "patch_level" not in settings.model_fields_set:
        # Its worker and API are this very code: runs start at the newest patch level.
        from workflows.patch_levels import NEWEST_PATCH_LEVEL

        settings = settings.model_copy(update={"patch_level": NEWEST_PATCH_LEVEL})
    cmd_migrate(settings)
    dev_keys = cmd_seed(settings)
    api = api_url(settings)
    settings = with_dev_tracking(settings, api)
    # The dev UI sends no header: its codec endpoint carries the demo analyst key in its path.
    proc = start_temporal(settings, ui_codec_endpoint=f"{api}/codec/key/{dev_keys['analyst']}")
    sink: MailSink | None = None
    try:
        # Every customer message goes to a local sink that keeps it in OMS_HOME/mail/.
        sink = dev_mail_sink(settings)
        if sink is not None:
            settings = settings.model_copy(update={"smtp_url": SecretStr(sink.url)})
        shown = banner(settings, dev_keys, sink)
        # Once the API answers, not before: the banner says to go ahead.
        asyncio.run(
            _serve(
                settings,
                worker=True,
                api=True,
                metrics_host=settings.api_host or "0.0.0.0",
                on_ready=lambda: print(shown, flush=True),
            )
        )
    finally:
        if sink is not None:
            sink.stop()
            (settings.home / URL_FILE).unlink(missing_ok=True)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        print("stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="oms", description="Order management on Temporal")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="Temporal dev server + migrations + demo data + worker + API")
    sub.add_parser("env", help='shell exports of the API URL and the demo keys: eval "$(oms env)"')
    sub.add_parser("worker", help="run a worker against OMS_TEMPORAL_ADDRESS")
    sub.add_parser("api", help="serve the HTTP API")
    sub.add_parser("migrate", help="bring the database schema up to date")
    sub.add_parser("seed", help="load the demo catalogue and API keys")
    sub.add_parser("expire-holds", help="free every cart hold past its deadline")
    add_keys_parser(sub)
    add_payments_parser(sub)
    sim = sub.add_parser("simulate", help="place orders over the API and play staff")
    sim.add_argument("--orders", type=int, default=20)
    sim.add_argument("--api", default=None, help="API base URL (default: the local one)")
    sim.add_argument("--timeout", type=float, default=300.0)
    sim.add_argument("--seed", type=int, default=None, help="same seed, same orders")
    args = parser.parse_args(argv)

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    if args.command == "dev":
        cmd_dev(settings)
    elif args.command == "env":
        print("\n".join(env_exports(settings, load_dev_keys(settings))))
    elif args.command == "worker":
        asyncio.run(_serve(settings, worker=True, api=False))
    elif args.command == "api":
        asyncio.run(_serve(settings, worker=False, api=True))
    elif args.command == "migrate":
        cmd_migrate(settings)
    elif args.command == "seed":
        print(json.dumps(cmd_seed(settings), indent=2))
    elif args.command == "expire-holds":
        print(f"{cmd_expire_holds(settings)} cart holds expired")
    elif args.command == "keys":
        raise SystemExit(run_keys_command(settings, args))
    elif args.command == "payments":
        raise SystemExit(run_payments_command(settings, args))
    elif args.command == "simulate":
        from oms.simulate import simulate

        keys = load_dev_keys(settings)
        ok = simulate(
            args.api or api_url(settings),
            keys,
            orders=args.orders,
            timeout=args.timeout,
            seed=args.seed,
        )
        raise SystemExit(0 if ok else 1)
