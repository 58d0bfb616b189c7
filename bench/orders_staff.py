"""The store staff of bench/orders.py, working as a store app does: each location's fulfilment
list from the API (the database read model) every poll, then pick and pack through the API.
No workflow query, no direct workflow update."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx

# The list's largest page (GET /locations/{id}/fulfilments?limit=...).
PAGE = 200
PARCEL = {"weight_grams": 800}
KEPT_ERRORS = 10


@dataclass
class StaffCounts:
    list_requests: int = 0
    picks: int = 0
    packs: int = 0
    failures: int = 0
    errors: list[str] = field(default_factory=list)

    def failed(self, what: str) -> None:
        self.failures += 1
        if len(self.errors) < KEPT_ERRORS:
            self.errors.append(what)


def answer(response: httpx.Response) -> str:
    return f"{response.status_code} {response.text[:200]}"


async def awaiting_pick(
    http: httpx.AsyncClient, location_id: str, headers: dict[str, str], counts: StaffCounts
) -> list[dict[str, Any]] | None:
    """The location's whole pick list, page by page; None when a page could not be read."""
    rows: list[dict[str, Any]] = []
    while True:
        counts.list_requests += 1
        url = f"/locations/{location_id}/fulfilments"
        params = {"status": "AWAITING_PICK", "limit": PAGE, "offset": len(rows)}
        try:
            response = await http.get(url, params=params, headers=headers)
        except httpx.HTTPError as err:
            counts.failed(f"GET {url}: {type(err).__name__}: {err}")
            return None
        if response.status_code != 200:
            counts.failed(f"GET {url}: {answer(response)}")
            return None
        page: list[dict[str, Any]] = response.json()["items"]
        rows += page
        if len(page) < PAGE:
            return rows


async def pick_and_pack(
    http: httpx.AsyncClient, row: dict[str, Any], headers: dict[str, str], counts: StaffCounts
) -> None:
    """Every line picked in full, then one parcel packed; the first refusal ends it."""
    base = f"/fulfilments/{row['id']}"
    pick = {"lines": [{"line_id": li["line_id"], "picked": li["quantity"]} for li in row["lines"]]}
    for path, body in ((f"{base}/pick", pick), (f"{base}/pack", {"parcels": [PARCEL]})):
        try:
            response = await http.post(path, json=body, headers=headers)
        except httpx.HTTPError as err:
            counts.failed(f"POST {path}: {type(err).__name__}: {err}")
            return
        if response.status_code != 200:
            counts.failed(f"POST {path}: {answer(response)}")
            return
        if path.endswith("/pick"):
            counts.picks += 1
        else:
            counts.packs += 1


async def store_staff(
    http: httpx.AsyncClient,
    location_id: str,
    key: str,
    *,
    poll_s: float,
    pickers: int,
    stop: asyncio.Event,
    counts: StaffCounts,
) -> None:
    """Until ``stop``: read the pick list every ``poll_s``, and pick and pack each fulfilment
    not seen before, up to ``pickers`` at a time. A fulfilment is handled once: one that
    failed stays failed (its order then times out, and both are reported)."""
    headers = {"Authorization": f"Bearer {key}"}
    seen: set[str] = set()
    busy = asyncio.Semaphore(pickers)
    working: set[asyncio.Task[None]] = set()

    async def handle(row: dict[str, Any]) -> None:
        async with busy:
            await pick_and_pack(http, row, headers, counts)

    while not stop.is_set():
        for row in await awaiting_pick(http, location_id, headers, counts) or []:
            if row["id"] not in seen:
                seen.add(row["id"])
                task = asyncio.create_task(handle(row))
                working.add(task)
                task.add_done_callback(working.discard)
        try:
            await asyncio.wait_for(stop.wait(), timeout=poll_s)
        except TimeoutError:
            pass
    await asyncio.gather(*working)
