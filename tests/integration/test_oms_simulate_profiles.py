"""`oms simulate` with fulfilment profiles in force, published as docs/fulfilment.md shows: the
simulated staff work each fulfilment's steps over the API (scans, a verify, a step skipped, a
label, the carrier's handover, the customer's code at the counter, waves) until every order
ends, and the summary tells how each one ended."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from oms.devserver import free_port
from tests.integration.test_oms_dev import oms_dev

OMS = str(Path(sys.executable).parent / "oms")
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
# The warehouses pick in waves along the aisles, and hand parcels to the carrier by label.
WAREHOUSE_WAVES = {
    "id": "sim-warehouse-waves",
    "name": "Picked in waves, handed to the carrier by label",
    "applies_to": {"location_type": "warehouse"},
    "steps": [
        {"type": "pick", "mode": "fast", "waves": {"strategy": "by_zone", "max_size": 30}},
        {"type": "pack"},
        {"type": "handover"},
        {"type": "ready_for_collection"},
        {"type": "collected"},
    ],
}
# DELIVERED: completed, then the simulated carrier delivered every parcel.
ENDED = ("COMPLETED", "CANCELLED", "DELIVERED")
OUTCOMES = re.compile(
    r"^outcomes: (\d+) collected in store, (\d+) shipped \((\d+) delivered\), (\d+) cancelled,"
    r" (\d+) still open$",
    re.MULTILINE,
)


def _publish(base: str, admin: dict[str, str], document: dict[str, Any]) -> None:
    made = httpx.post(f"{base}/fulfilment/profiles", json=document, headers=admin, timeout=10)
    assert made.status_code == 201, made.text
    version = made.json()["version"]
    published = httpx.post(
        f"{base}/fulfilment/profiles/{document['id']}/versions/{version}/publish",
        headers=admin,
        timeout=10,
    )
    assert published.status_code == 200, published.text


def test_oms_simulate_works_every_step_of_the_profiles_in_force_until_every_order_ends(
    tmp_path: Path,
) -> None:
    ports = {
        "OMS_API_PORT": free_port(),
        "OMS_TEMPORAL_PORT": free_port(),
        "OMS_UI_PORT": free_port(),
    }
    env = {**os.environ, "OMS_HOME": str(tmp_path), **{k: str(v) for k, v in ports.items()}}
    env.pop("OMS_DATABASE_URL", None)
    with oms_dev(tmp_path, ports) as base:
        keys = json.loads((tmp_path / "dev-keys.json").read_text())
        admin = {"Authorization": f"Bearer {keys['admin']}"}
        shop = {"Authorization": f"Bearer {keys['storefront']}"}
        # Given the boutique profile in every store (every unit scanned, checked again at the
        # bench, a photo staff may skip, a label, the carrier's handover, a code at the
        # counter) and waves in the warehouses
        boutique = json.loads((EXAMPLES / "fulfilment-profile-boutique.json").read_text())
        _publish(base, admin, boutique)
        _publish(base, admin, WAREHOUSE_WAVES)
        # When the simulation runs
        done = subprocess.run(
            [OMS, "simulate", "--orders", "12", "--seed", "7", "--timeout", "240"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        listed = httpx.get(f"{base}/orders", params={"limit": 50}, headers=shop, timeout=10)
        views = [
            httpx.get(f"{base}/orders/{o['order_id']}", headers=shop, timeout=10).json()
            for o in listed.json()["items"]
        ]
        rows = [
            httpx.get(f"{base}/fulfilments/{f['fulfilment_id']}", headers=admin, timeout=10).json()
            for v in views
            for f in v["fulfilments"]
        ]
        waves = [
            w
            for loc in ("WH-PARIS-SUD", "WH-LYON", "WH-LILLE")
            for w in httpx.get(
                f"{base}/locations/{loc}/pick-waves", headers=admin, timeout=10
            ).json()["items"]
        ]

    out = done.stdout
    # Then every order ended, and the run says so
    assert done.returncode == 0, out + done.stderr
    assert len(views) == 12
    assert all(v["status"] in ENDED for v in views), out
    # with the outcome of each: collected, shipped (delivered or not yet), cancelled
    found = OUTCOMES.search(out)
    assert found, out
    collected, shipped, delivered, cancelled, still_open = map(int, found.groups())
    completed = [v for v in views if v["status"] in ("COMPLETED", "DELIVERED")]
    assert collected == sum(v["delivery_method"] == "collect" for v in completed)
    assert shipped == sum(v["delivery_method"] == "ship" for v in completed)
    assert delivered <= shipped
    assert cancelled == sum(v["status"] == "CANCELLED" for v in views)
    assert still_open == 0
    # and the stores ran the boutique profile, each step worked or skipped as it allows
    at_stores = [r for r in rows if r["profile"] == "maison-boutiques@1"]
    assert at_stores, rows
    for row in at_stores:
        if row["status"] in ("REJECTED", "CANCELLED"):
            continue
        steps = {s["type"]: s for s in row["steps"]}
        assert all(s["status"] in ("done", "skipped") for s in row["steps"]), row
        assert steps["verify"]["status"] == "done", row
        assert steps["photo"]["status"] == "skipped", row
        assert steps["photo"]["reason"], row
        last = "collected" if row["delivery_method"] == "collect" else "handover"
        assert steps[last]["status"] == "done", row
    assert any(r["delivery_method"] == "collect" for r in at_stores), rows
    # and what the warehouses shipped was picked in waves, each sorted
    in_warehouses = [r for r in rows if r["profile"] == "sim-warehouse-waves@1"]
    assert in_warehouses, rows
    assert all(w["status"] == "sorted" for w in waves), waves
    assert sum(w["fulfilment_count"] for w in waves) == len(in_warehouses), waves
