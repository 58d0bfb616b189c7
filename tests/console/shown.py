"""Data for the accessibility audit to show on every main page, made through the API: a held
order, an order at the bench and a claimed wave at the Opéra store, a collection at the Lyon
counter and a return to receive there, and a draft of each kind of profile."""

from __future__ import annotations

import asyncio

from tests.console.stack import Stack, new_id

FULFILMENT_PROFILE = {
    "id": "boutiques",
    "name": "Boutiques",
    "applies_to": {"location_type": "store"},
    "steps": [
        {"type": "pick", "mode": "scan_each"},
        {"type": "pack"},
        {"type": "handover"},
        {"type": "ready_for_collection"},
        {"type": "collected"},
    ],
}
SOURCING_PROFILE = {
    "channel": "web-fr",
    "strategies": [{"name": "nearest", "criteria": [{"criterion": "distance"}]}],
    "fallback": {"name": "any", "criteria": [{"criterion": "distance"}]},
}


async def _held(stack: Stack) -> dict[str, str]:
    """An order held for a fraud review (a new customer buying a phone)."""
    order_id = new_id("HELD")
    customer = {"id": f"C-{order_id}", "email": "new@example.com", "tier": "new"}
    phone = [{"line_id": "1", "sku": "SKU-PHONE", "quantity": 1, "unit_price": 89900}]
    await stack.place(order_id, customer=customer, lines=phone)
    await stack.until(f"/orders/{order_id}", "analyst", lambda o: o["status"] == "AWAITING_REVIEW")
    return {"held": order_id, "customer": customer["id"]}


def _customer(order_id: str) -> dict[str, str]:
    """A customer of their own: one placing many orders at once would be held for review."""
    return {"id": f"C-{order_id}", "email": "someone@example.com", "tier": "standard"}


async def _at_opera(stack: Stack) -> dict[str, str]:
    """At the Opéra store: one order picked and waiting at the bench, then a claimed wave of
    two more (built after, so that it leaves the first alone)."""
    opera = stack.auth("opera")
    packing = new_id("PACK")
    await stack.place(packing, customer=_customer(packing))
    row = await stack.fulfilment(
        "ST-OPERA", "opera", packing, lambda f: f["status"] == "AWAITING_PICK"
    )
    lines = [{"line_id": x["line_id"], "picked": x["quantity"]} for x in row["lines"]]
    picked = await stack.http.post(
        f"/fulfilments/{row['id']}/pick", json={"lines": lines}, headers=opera
    )
    assert picked.status_code == 200, picked.text
    await stack.fulfilment(
        "ST-OPERA", "opera", packing, lambda f: (f["current_step"] or {}).get("type") == "pack"
    )
    for order_id in (new_id("WAVE"), new_id("WAVE")):
        await stack.place(order_id, customer=_customer(order_id))
        await stack.fulfilment(
            "ST-OPERA", "opera", order_id, lambda f: f["status"] == "AWAITING_PICK"
        )
    built = await stack.http.post(
        "/locations/ST-OPERA/pick-waves", json={"strategy": "by_item"}, headers=opera
    )
    assert built.status_code == 201, built.text
    wave = built.json()["id"]
    claimed = await stack.http.post(
        f"/pick-waves/{wave}/claim", json={"picker": "opera"}, headers=opera
    )
    assert claimed.status_code == 200, claimed.text
    return {"packing": row["id"], "packing_order": packing, "wave": wave}


async def _at_lyon(stack: Stack) -> dict[str, str]:
    """At Lyon: a collection waiting at the counter, and a return of another to receive."""
    waiting = await stack.awaiting_collection(new_id("COLL"))
    return {"counter": waiting["id"], "return": await stack.returned_at_lyon(new_id("RET"))}


async def _profiles(stack: Stack) -> dict[str, str]:
    """A draft of a sourcing profile and of a fulfilment profile."""
    admin = stack.auth("admin")
    sourcing = await stack.http.post(
        "/sourcing/profiles/paris/versions", json=SOURCING_PROFILE, headers=admin
    )
    assert sourcing.status_code == 201, sourcing.text
    fulfilment = await stack.http.post(
        "/fulfilment/profiles", json=FULFILMENT_PROFILE, headers=admin
    )
    assert fulfilment.status_code == 201, fulfilment.text
    return {"sourcing": f"paris/{sourcing.json()['version']}", "fulfilment": "boutiques/1"}


async def shown_data(stack: Stack) -> dict[str, str]:
    """The ids each audited page's address and checks need, by name."""
    made: dict[str, str] = {}
    for part in await asyncio.gather(
        _held(stack), _at_opera(stack), _at_lyon(stack), _profiles(stack)
    ):
        made.update(part)
    return made
