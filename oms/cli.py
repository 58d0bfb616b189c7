"""The `oms` command: dev, worker, api, migrate, seed, simulate, expire-holds."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from oms.config import Settings, get_settings
from oms.devserver import start_dev_args
from oms.logging import configure_logging, get_logger

log = get_logger("oms.cli")


def _wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"Temporal did not start listening on {port} within {timeout:.0f}s")


def start_temporal(settings: Settings) -> subprocess.Popen[bytes]:
    home = settings.home
    home.mkdir(parents=True, exist_ok=True)
    args = start_dev_args(
        db_file=home / "temporal.db",
        port=settings.temporal_port,
        ui_port=settings.ui_port,
        namespace=settings.temporal_namespace,
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


async def _serve(settings: Settings, *, worker: bool, api: bool) -> None:
    import uvicorn

    from api.app import create_app
    from oms.temporal import connect, ensure_search_attributes
    from workers.main import Dependencies, build_worker, watch_settings
    from workflows.atp_watch import start_atp_watch

    client = await connect(settings)
    await ensure_search_attributes(client)
    tasks: list[asyncio.Task[None]] = []
    server: uvicorn.Server | None = None
    if worker:
        w = build_worker(client, settings.task_queue, Dependencies.from_settings(settings))
        tasks.append(asyncio.create_task(w.run()))
        await start_atp_watch(client, settings.task_queue, watch_settings(settings))
    if api:
        app = create_app(settings, client=client)
        server = uvicorn.Server(
            uvicorn.Config(app, host=settings.api_host, port=settings.api_port, log_level="warning")
        )
        tasks.append(asyncio.create_task(server.serve()))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if server is not None:
        server.should_exit = True
    for t in tasks:
        if server is None or t is not tasks[-1]:
            t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _simulate_command(settings: Settings) -> str:
    """The simulate command line that reaches this very stack."""
    env = []
    if settings.home != Settings.model_fields["home"].default:
        env.append(f"OMS_HOME={settings.home}")
    if settings.api_port != Settings.model_fields["api_port"].default:
        env.append(f"OMS_API_PORT={settings.api_port}")
    oms = Path(sys.executable).parent / "oms"
    try:
        shown = str(oms.relative_to(Path.cwd()))
    except ValueError:
        shown = str(oms)
    return " ".join([*env, shown, "simulate", "--orders", "20"])


def cmd_dev(settings: Settings) -> None:
    # The terminal keeps the banner and the keys; every log line goes to a file.
    settings.home.mkdir(parents=True, exist_ok=True)
    log_file = open(settings.home / "oms.log", "a", buffering=1)  # noqa: SIM115
    configure_logging(settings.log_level, True, file=log_file)
    proc = start_temporal(settings)
    try:
        cmd_migrate(settings)
        dev_keys = cmd_seed(settings)
        api = f"http://{settings.api_host}:{settings.api_port}"
        print(
            f"\nOMS is running (data in {settings.home}/)\n"
            f"  API          {api}  (OpenAPI: {api}/docs)\n"
            f"  Temporal UI  http://127.0.0.1:{settings.ui_port}\n"
            f"  Temporal     127.0.0.1:{settings.temporal_port}\n"
            f"  API keys     {settings.home / 'dev-keys.json'}\n"
        )
        for name, key in dev_keys.items():
            print(f"  {name:28s} {key}")
        print(
            "\nTry:\n"
            f"  curl -s {api}/orders -H 'Authorization: Bearer {dev_keys['storefront']}'\n"
            f"  {_simulate_command(settings)}\n\n"
            f"Logs go to {settings.home / 'oms.log'}. Ctrl-C stops everything.\n"
        )
        asyncio.run(_serve(settings, worker=True, api=True))
    finally:
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
    sub.add_parser("worker", help="run a worker against OMS_TEMPORAL_ADDRESS")
    sub.add_parser("api", help="serve the HTTP API")
    sub.add_parser("migrate", help="bring the database schema up to date")
    sub.add_parser("seed", help="load the demo catalogue and API keys")
    sub.add_parser("expire-holds", help="free every cart hold past its deadline")
    sim = sub.add_parser("simulate", help="place orders over the API and play staff")
    sim.add_argument("--orders", type=int, default=20)
    sim.add_argument("--api", default=None, help="API base URL (default: the local one)")
    sim.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    if args.command == "dev":
        cmd_dev(settings)
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
    elif args.command == "simulate":
        from oms.simulate import simulate

        base = args.api or f"http://{settings.api_host}:{settings.api_port}"
        keys = json.loads((settings.home / "dev-keys.json").read_text())
        ok = simulate(base, keys, orders=args.orders, timeout=args.timeout)
        raise SystemExit(0 if ok else 1)
