"""`oms simulate`: place orders through the API, then play the analyst and the store staff
until every order has reached a final status."""

from __future__ import annotations

import random
import sys
import time
import uuid
from typing import Any

import httpx

from oms.seed import LOCATIONS, products

FINAL = {"COMPLETED", "CANCELLED"}


def _progress(done: int, total: int, started: float, extra: str = "") -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    rate = done / max(time.monotonic() - started, 1e-9)
    sys.stdout.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {rate:5.1f}/s {extra}   "
    )
    sys.stdout.flush()


def _order(rng: random.Random, catalog: list[dict[str, Any]], run: str, n: int) -> dict[str, Any]:
    stores = [loc for loc in LOCATIONS if loc["type"] == "store"]
    chosen = rng.sample(catalog, k=rng.randint(1, 3))
    tier = rng.choice(["standard", "standard", "gold", "new"])
    delivery: dict[str, Any]
    if rng.random() < 0.25:
        delivery = {"method": "collect", "store_id": rng.choice(stores)["id"]}
    else:
        city = rng.choice(stores)
        delivery = {
            "method": "ship",
            "address": {
                "name": "Client Démo",
                "line1": "1 rue de la Paix",
                "city": city["name"],
                "postal_code": "75002",
                "country": "FR",
                "lat": city["lat"] + rng.uniform(-0.2, 0.2),
                "lon": city["lon"] + rng.uniform(-0.2, 0.2),
            },
        }
    return {
        "id": f"SIM-{run}-{n:05d}",
        "channel": rng.choice(["web-fr", "app-fr"]),
        "customer": {
            "id": f"CUST-{rng.randint(1, 500)}",
            "email": "demo@example.com",
            "tier": tier,
        },
        "lines": [
            {
                "line_id": str(i + 1),
                "sku": p["sku"],
                "quantity": rng.randint(1, 2),
                "unit_price": p["price"],
            }
            for i, p in enumerate(chosen)
        ],
        "currency": "EUR",
        "delivery": delivery,
        "payment_token": "tok_ok",
    }


def _play_staff(http: httpx.Client, keys: dict[str, str]) -> None:
    analyst = {"Authorization": f"Bearer {keys['analyst']}"}
    tasks = http.get(
        "/tasks", params={"kind": "fraud_review", "status": "open"}, headers=analyst
    ).json()["items"]
    for task in tasks:
        http.post(
            f"/tasks/{task['id']}/complete",
            headers=analyst,
            json={"decision": "approve", "reason": "simulated analyst"},
        )
    for name, key in keys.items():
        if not name.startswith("store:"):
            continue
        location = name.split(":", 1)[1]
        auth = {"Authorization": f"Bearer {key}"}
        for f in http.get(
            f"/locations/{location}/fulfilments", headers=auth, params={"limit": 200}
        ).json()["items"]:
            if f["status"] == "AWAITING_PICK":
                http.post(
                    f"/fulfilments/{f['id']}/pick",
                    headers=auth,
                    json={
                        "lines": [
                            {"line_id": line["line_id"], "picked": line["quantity"]}
                            for line in f["lines"]
                        ]
                    },
                )
            elif f["status"] == "PICKED":
                http.post(
                    f"/fulfilments/{f['id']}/pack",
                    headers=auth,
                    json={"parcels": [{"weight_grams": 900}]},
                )
            elif f["status"] == "READY_FOR_COLLECTION":
                http.post(f"/fulfilments/{f['id']}/collected", headers=auth)


def simulate(base_url: str, keys: dict[str, str], *, orders: int, timeout: float) -> bool:
    rng = random.Random()
    catalog = [p for p in products() if p["category"] != "gift_cards"]
    run = uuid.uuid4().hex[:6]
    storefront = {"Authorization": f"Bearer {keys['storefront']}"}
    started = time.monotonic()
    ids: list[str] = []
    # The warehouses serve every store's pick lists too: the admin key plays them.
    staff_keys = dict(keys)
    for loc in LOCATIONS:
        if loc["type"] == "warehouse":
            staff_keys[f"store:{loc['id']}"] = keys["admin"]
    with httpx.Client(base_url=base_url, timeout=30.0) as http:
        try:
            http.get("/healthz")
        except httpx.HTTPError as exc:
            print(
                f"cannot reach the OMS API at {base_url} ({exc}); is `make dev` running, "
                "and are OMS_API_PORT / --api set to its port?"
            )
            return False
        for n in range(orders):
            body = _order(rng, catalog, run, n)
            r = http.post("/orders", json=body, headers=storefront)
            if r.status_code not in (200, 201):
                print(f"\norder {body['id']} refused: {r.status_code} {r.text}")
                continue
            ids.append(body["id"])
            _progress(0, orders, started, f"placing {len(ids)}/{orders}")
        statuses: dict[str, str] = {}
        while time.monotonic() - started < timeout:
            _play_staff(http, staff_keys)
            for order_id in ids:
                if statuses.get(order_id) in FINAL:
                    continue
                statuses[order_id] = http.get(f"/orders/{order_id}", headers=storefront).json()[
                    "status"
                ]
            done = sum(1 for s in statuses.values() if s in FINAL)
            _progress(done, len(ids), started)
            if done == len(ids):
                break
            time.sleep(0.5)
    print()
    counts: dict[str, int] = {}
    for s in statuses.values():
        counts[s] = counts.get(s, 0) + 1
    print("orders by status:", ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    return all(s in FINAL for s in statuses.values()) and len(statuses) == len(ids)
