"""`oms simulate`: place orders through the API, then play the fraud analyst and the store
staff until every order has reached a final status, and say how each one ended.

It talks to the API only, as a storefront, an analyst and store staff would (the staff work
each fulfilment's steps as its profile lays them out: ``oms.simulate_staff``), and hears what
customers are sent (their collection codes) through a webhook subscription of its own
(``oms.simulate_inbox``). It touches only the orders of its own run (ids and customer ids carry
the run id), so it can run beside the README's walk-through or another simulation.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx

from oms.seed import LOCATIONS, products
from oms.simulate_api import pages
from oms.simulate_inbox import CodeInbox
from oms.simulate_staff import StoreStaff

# DELIVERED: completed, and the carrier has since delivered every parcel.
FINAL = {"COMPLETED", "CANCELLED", "DELIVERED"}
# Past sourcing: the order's units are reserved (or it ended).
SOURCED = {"AUTHORIZING_PAYMENT", "IN_FULFILMENT", "AWAITING_STOCK", *FINAL}
# Every REVIEW_EVERY-th order (the first one included) is a new customer buying electronics:
# new customer 15 + no order history 10 + risky category 20 = 45, at or above the default review
# threshold (40) and far from the reject one (80); see oms/domain/fraud.py. The others are
# standard, gold or VIP customers, who stay under it.
REVIEW_EVERY = 4
COLLECT_SHARE = 0.3
STORES = [loc for loc in LOCATIONS if loc["type"] == "store"]


class PatientTransport(httpx.BaseTransport):
    """Retries what the API says may be retried, as a storefront and a store app should: 503
    `unavailable` (Temporal or the database away for a moment) and 429 `rate_limited`, after
    the answer's Retry-After or a doubling pause, up to ``attempts`` tries. Every request the
    simulation makes is safe to repeat: orders are idempotent on their id, and a refused pick
    or pack did not happen."""

    RETRY = frozenset({429, 503})

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        attempts: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.inner = inner
        self.attempts = attempts
        self.sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(1, self.attempts + 1):
            response = self.inner.handle_request(request)
            if response.status_code not in self.RETRY or attempt == self.attempts:
                return response
            response.read()
            response.close()
            self.sleep(_pause(response, attempt))
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.inner.close()


def _pause(response: httpx.Response, attempt: int) -> float:
    told = str(response.headers.get("Retry-After", ""))
    if told.isdigit():
        return float(told)
    return float(min(0.5 * 2 ** (attempt - 1), 10.0))


def order_id(run: str, n: int) -> str:
    return f"SIM-{run}-{n:05d}"


def customer_id(run: str, n: int) -> str:
    """One customer per order, unknown to any other run: no order history, no velocity."""
    return f"SIM-{run}-CUST-{n}"


def new_order(rng: random.Random, run: str, n: int) -> dict[str, Any]:
    """An order of 1 to 3 products (no gift cards), without its delivery yet."""
    catalog = [p for p in products() if p["category"] != "gift_cards"]
    chosen = rng.sample(catalog, k=rng.randint(1, 3))
    if n % REVIEW_EVERY == 0:
        tier = "new"
        if not any(p["category"] == "electronics" for p in chosen):
            chosen[0] = rng.choice(
                [p for p in catalog if p["category"] == "electronics" and p not in chosen]
            )
    else:
        tier = rng.choice(["standard", "standard", "gold", "vip"])
    return {
        "id": order_id(run, n),
        "channel": rng.choice(["web-fr", "app-fr"]),
        "customer": {"id": customer_id(run, n), "email": "demo@example.com", "tier": tier},
        "lines": [
            {
                "line_id": str(i + 1),
                "sku": p["sku"],
                "quantity": rng.randint(1, 2),
                "unit_price": p["prices"]["EUR"],
            }
            for i, p in enumerate(chosen)
        ],
        "currency": "EUR",
        "payment_token": "tok_ok",
    }


def collect_store(
    options: dict[str, Any], cart: dict[str, int], claimed: Counter[str]
) -> str | None:
    """The nearest store of `POST /availability/options`'s `collect_at` that still holds the
    whole cart once the units this run already ordered are set aside (those orders may not
    have reserved yet, and may be sourced from that very store), or None: then it ships."""
    for store in options["collect_at"]:
        atp = {line["sku"]: line["atp"] for line in store["lines"]}
        if all(atp.get(sku, 0) - claimed[sku] >= qty for sku, qty in cart.items()):
            return str(store["location_id"])
    return None


def ship_to(rng: random.Random, city: dict[str, Any]) -> dict[str, Any]:
    return {
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


@dataclass
class Run:
    """One simulation against one stack. Its customers hear their collection codes once
    ``listen`` was given an inbox: stores that run no fulfilment profile need none."""

    http: httpx.Client
    keys: dict[str, str]
    rng: random.Random
    out: TextIO
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    placed: list[str] = field(default_factory=list)
    refused: int = 0
    reviewed: set[str] = field(default_factory=set)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    claimed: Counter[str] = field(default_factory=Counter)
    staff: StoreStaff = field(init=False)

    def __post_init__(self) -> None:
        self.staff = StoreStaff(
            http=self.http,
            keys=self.keys,
            ours=self.ours,
            say=self.say,
            picker=f"simulate {self.run}",
        )

    def listen(self, inbox: CodeInbox) -> None:
        """Hear collection codes in ``inbox`` (subscribed before any order is placed: a code
        is sent once, when its collection is ready)."""
        if problem := inbox.open(self.http, self.auth("admin")):
            self.say(f"collection codes will not be heard: {problem}")
        self.staff.inbox = inbox

    def ours(self, order_id: str) -> bool:
        return order_id in self.placed

    def say(self, line: str) -> None:
        """A line of what happened (a refusal): on its own line under the progress bar."""
        print(f"\n{line}" if self.out.isatty() else line, file=self.out)

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}"}

    def place(self, n: int) -> None:
        body = new_order(self.rng, self.run, n)
        cart: Counter[str] = Counter()
        for line in body["lines"]:
            cart[line["sku"]] += line["quantity"]
        city = self.rng.choice(STORES)
        store = None
        if self.rng.random() < COLLECT_SHARE:
            asked = self.http.post(
                "/availability/options",
                headers=self.auth("storefront"),
                json={
                    "channel": body["channel"],
                    "lines": [{"sku": s, "quantity": q} for s, q in cart.items()],
                    "destination": {"lat": city["lat"], "lon": city["lon"]},
                },
            )
            if asked.status_code == 200:
                store = collect_store(asked.json(), cart, self.claimed)
        if store is not None:
            body["delivery"] = {"method": "collect", "store_id": store}
        else:
            body["delivery"] = ship_to(self.rng, city)
        r = self.http.post("/orders", json=body, headers=self.auth("storefront"))
        if r.status_code not in (200, 201):
            self.refused += 1
            print(f"\norder {body['id']} refused: {r.status_code} {r.text}", file=self.out)
            return
        self.claimed.update(cart)
        self.placed.append(body["id"])
        if store is not None:
            # Orders placed after it may be shipped from that very store: wait until its
            # units are reserved (approving its fraud review if it gets one).
            self.wait_until_sourced(body["id"])

    def wait_until_sourced(self, oid: str, at_most: float = 60.0) -> None:
        deadline = time.monotonic() + at_most
        while time.monotonic() < deadline:
            self.approve_reviews()
            r = self.http.get(f"/orders/{oid}", headers=self.auth("storefront"))
            if r.status_code == 200 and r.json()["status"] in SOURCED:
                return
            time.sleep(0.2)

    def approve_reviews(self) -> None:
        analyst = self.auth("analyst")
        open_reviews = {"kind": "fraud_review", "status": "open"}
        for task in list(pages(self.http, "/tasks", open_reviews, analyst)):
            if task["order_id"] not in self.placed:
                continue  # someone else's order: not ours to decide
            done = self.http.post(
                f"/tasks/{task['id']}/complete",
                headers=analyst,
                json={"decision": "approve", "reason": "simulated analyst"},
            )
            if done.status_code == 200:
                self.reviewed.add(task["order_id"])

    def poll(self) -> int:
        """One round of staff work; answers how many orders are final."""
        self.approve_reviews()
        open_orders = []
        for oid in self.placed:
            if self.views.get(oid, {}).get("status") in FINAL:
                continue
            r = self.http.get(f"/orders/{oid}", headers=self.auth("storefront"))
            if r.status_code == 200:
                self.views[oid] = r.json()
                open_orders.append(self.views[oid])
        self.staff.work(open_orders)
        return sum(1 for v in self.views.values() if v["status"] in FINAL)

    def report(self, timeout: float) -> None:
        statuses = Counter(self.views.get(oid, {}).get("status", "UNKNOWN") for oid in self.placed)
        print(
            f"orders by status: {', '.join(f'{k}={v}' for k, v in sorted(statuses.items()))}"
            + (f", refused={self.refused}" if self.refused else ""),
            file=self.out,
        )
        print(
            f"fraud review: {len(self.reviewed)} of {len(self.placed)} orders held for review "
            "and approved by the simulated analyst",
            file=self.out,
        )
        told = Counter(outcome(self.views.get(oid)) for oid in self.placed)
        print(
            f"outcomes: {told['collected']} collected in store,"
            f" {told['shipped'] + told['delivered']} shipped ({told['delivered']} delivered),"
            f" {told['cancelled']} cancelled, {told['open']} still open",
            file=self.out,
        )
        for oid in self.placed:
            why = ending(self.views.get(oid), timeout, self.held_up(oid))
            if why:
                print(f"  {oid}: {why}", file=self.out)

    def held_up(self, order_id: str) -> str | None:
        """What keeps the order's open fulfilments from moving on, as the staff found it."""
        view = self.views.get(order_id) or {}
        found = [
            f"{f['fulfilment_id']} at {f['location_id']}, {self.staff.problems[f['fulfilment_id']]}"
            for f in view.get("fulfilments", [])
            if f["fulfilment_id"] in self.staff.problems
        ]
        return "; ".join(found) or None


def outcome(view: dict[str, Any] | None) -> str:
    """How the order ended for its customer: collected, shipped, delivered (the carrier says
    so), cancelled, or open (still running when the run stopped)."""
    status = view["status"] if view else None
    if status not in FINAL:
        return "open"
    assert view is not None
    if status == "CANCELLED":
        return "cancelled"
    if view.get("delivery_method") == "collect":
        return "collected"
    return "delivered" if status == "DELIVERED" else "shipped"


def ending(view: dict[str, Any] | None, timeout: float, held_up: str | None = None) -> str | None:
    """Why an order did not simply complete, in one line (an open one: ``held_up``, what
    keeps it, when the staff know); None if it did."""
    if view is None:
        return "never answered GET /orders/{id}"
    status = view["status"]
    if status == "CANCELLED":
        entry = next(
            (e for e in reversed(view.get("timeline", [])) if e["type"] == "order_cancelled"),
            None,
        )
        by = f" (by {entry['actor']})" if entry else ""
        return f"CANCELLED, reason {view.get('cancel_reason')}{by}"
    if status not in FINAL:
        last = view["timeline"][-1]["type"] if view.get("timeline") else "nothing yet"
        why = f": {held_up}" if held_up else ""
        return f"still {status} after {timeout:.0f} s (last event: {last}){why}"
    short = [
        f"line {line['line_id']} {line['cancelled']} unit(s) {line.get('cancel_reason')}"
        for line in view.get("lines", [])
        if line.get("cancelled")
    ]
    return f"{status} without {'; '.join(short)}" if short else None


def _progress(out: TextIO, done: int, total: int, started: float, extra: str = "") -> None:
    if not out.isatty():
        return
    width = 30
    filled = int(width * done / max(total, 1))
    rate = done / max(time.monotonic() - started, 1e-9)
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {rate:5.1f}/s {extra}  ")
    out.flush()


def simulate(
    base_url: str,
    keys: dict[str, str],
    *,
    orders: int,
    timeout: float,
    seed: int | None = None,
    out: TextIO = sys.stdout,
) -> bool:
    """Place `orders` orders and see them through. True when every order placed reached a
    final status and none was refused; how each one ended is printed either way."""
    started = time.monotonic()
    transport = PatientTransport(httpx.HTTPTransport())
    with httpx.Client(base_url=base_url, timeout=30.0, transport=transport) as http:
        try:
            http.get("/healthz")
        except httpx.HTTPError as exc:
            print(
                f"cannot reach the OMS API at {base_url} ({exc}); is `make dev` running, "
                "and are OMS_API_PORT / --api set to its port?",
                file=out,
            )
            return False
        sim = Run(http=http, keys=keys, rng=random.Random(seed), out=out)
        print(f"run {sim.run}: placing {orders} orders at {base_url}", file=out)
        inbox = CodeInbox(ours=sim.ours)
        try:
            sim.listen(inbox)
            for n in range(orders):
                sim.place(n)
                _progress(out, 0, orders, started, f"placing {len(sim.placed)}/{orders}")
            while time.monotonic() - started < timeout:
                done = sim.poll()
                _progress(out, done, len(sim.placed), started)
                if done == len(sim.placed):
                    break
                time.sleep(0.5)
        finally:
            inbox.close(http, sim.auth("admin"))
    if out.isatty():
        print(file=out)
    sim.report(timeout)
    final = all(sim.views.get(oid, {}).get("status") in FINAL for oid in sim.placed)
    return final and not sim.refused
