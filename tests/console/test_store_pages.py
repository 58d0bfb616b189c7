"""Store pages in a real browser (headless Chromium) over a real API, worker and Temporal:
a wave picked by scanning and handed over, a collection scanned and collected with the
customer's code, a return and a transfer received, and a store key refused what is not its
own. Screenshots of the main pages: docs/console/ (OMS_CONSOLE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.console.pages import CHROMIUM, DESK_SIZE, PHONE_SIZE, expect, scan, shot, signed_in
from tests.console.stack import MUG, TEE, Stack, new_id

pytest.importorskip("playwright.async_api", reason="playwright not installed")
pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"no Chromium at {CHROMIUM}: install the system's chromium package (.ci/run does)",
)


async def test_a_store_picks_a_wave_by_scanning_refuses_a_wrong_item_packs_and_hands_over(
    browser: Any, stack: Stack
) -> None:
    orders = [new_id("WAVE"), new_id("WAVE")]
    for order_id in orders:
        await stack.place(order_id)  # 2 tees and a mug each, shipped from the Opéra store
    for order_id in orders:
        await stack.fulfilment(
            "ST-OPERA", "opera", order_id, lambda f: f["status"] == "AWAITING_PICK"
        )
    page = await signed_in(browser, stack, "opera", PHONE_SIZE)
    await expect(page.get_by_role("heading", name="Work at ST-OPERA")).to_be_visible()
    await shot(page, "store-work-list")

    await page.get_by_label("Strategy").select_option("by_item")
    await page.get_by_role("button", name="Build a pick wave").click()
    await page.get_by_role("button", name="Claim the wave").click()
    # The mug first (the lines in SKU order): two units wanted, then four tees.
    await expect(page.get_by_role("heading", name="Pick SKU-MUG")).to_be_visible()
    await scan(page, MUG)
    await expect(page.locator("#count")).to_have_text("1 / 2")
    await scan(page, TEE)  # a tee while the mug is asked for: refused, seen and heard
    refused = page.locator(".refusal[data-code='wrong_item']")
    await expect(refused).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-sound", "refused")
    await expect(page.locator("#count")).to_have_text("1 / 2")
    await expect(page.locator("#scan")).to_be_focused()
    await shot(page, "store-wave-refused-scan")
    await scan(page, MUG)
    await expect(page.get_by_role("heading", name="Pick SKU-TEE")).to_be_visible()
    # A scanner faster than the API: four tees read without waiting for an answer, each sent
    # in turn and counted once.
    for _ in range(4):
        await scan(page, TEE)
    await page.get_by_role("button", name="Sort into orders").click()
    await expect(page.get_by_text("Sorted: each order got its units.")).to_be_visible()

    first = await stack.fulfilment(
        "ST-OPERA", "opera", orders[0], lambda f: (f["current_step"] or {}).get("type") == "pack"
    )
    await page.goto(f"{stack.url}/console/#/store/ST-OPERA/fulfilment/{first['id']}")
    await expect(page.get_by_role("heading", name="Pack")).to_be_visible()
    await shot(page, "store-pack")
    await page.get_by_role("button", name="Packed").click()
    await expect(page.get_by_text("Packed.")).to_be_visible()
    booked = await stack.fulfilment(
        "ST-OPERA",
        "opera",
        orders[0],
        lambda f: f["tracking_number"] and (f["current_step"] or {}).get("type") == "handover",
    )
    await page.reload()
    await expect(page.get_by_role("heading", name="Hand over to the carrier")).to_be_visible()
    await scan(page, "NOT-THE-LABEL")
    await expect(page.locator(".refusal[data-code='invalid']")).to_be_visible()
    await scan(page, booked["tracking_number"])
    await expect(page.get_by_text("Step done.")).to_be_visible()
    shipped = await stack.fulfilment("ST-OPERA", "opera", orders[0], lambda f: True)
    assert shipped["status"] == "SHIPPED"
    await page.context.close()


async def test_a_collection_is_refused_a_wrong_code_and_handed_over_for_the_right_one(
    browser: Any, stack: Stack
) -> None:
    order_id = new_id("COLL")
    await stack.place(order_id, delivery={"method": "collect", "store_id": "ST-LYON"})
    waiting = await stack.fulfilment("ST-LYON", "lyon", order_id, lambda f: f["current_step"])
    page = await signed_in(browser, stack, "lyon", PHONE_SIZE)
    await page.goto(f"{stack.url}/console/#/store/ST-LYON/fulfilment/{waiting['id']}")
    # Lyon's profile: every unit scanned at the pick, and again at the bench.
    for barcode in (TEE, MUG, TEE):
        await scan(page, barcode)
        await expect(page.get_by_text(f"Scanned {barcode}")).to_be_visible()
    await expect(page.locator("#counts")).to_contain_text("SKU-TEE: 2 / 2")
    await page.get_by_role("button", name="Pick what was scanned").click()
    await expect(page.get_by_role("heading", name="Verify")).to_be_visible()
    for barcode in (TEE, MUG, TEE):  # each answer awaited: its notice differs from the last
        await scan(page, barcode)
        await expect(page.get_by_text(f"Scanned {barcode}")).to_be_visible()
    await expect(page.locator("#counts")).to_contain_text("SKU-TEE: 2 / 2")
    await scan(page, TEE)  # a third tee: more than was picked
    await expect(page.locator(".refusal[data-code='pick_exceeds_requested']")).to_be_visible()
    await page.get_by_role("button", name="Done").click()
    await expect(page.get_by_role("heading", name="Pack")).to_be_visible()
    await page.get_by_role("button", name="Packed").click()
    await stack.fulfilment(
        "ST-LYON", "lyon", order_id, lambda f: (f["current_step"] or {}).get("type") == "collected"
    )
    code = stack.collection_code(order_id)
    await page.reload()
    await expect(page.get_by_role("heading", name="Collection at the counter")).to_be_visible()

    await scan(page, "X" + code)
    await expect(page.locator(".refusal[data-code='invalid']")).to_contain_text(
        "Wrong collection code: nothing was handed over."
    )
    await expect(page.locator("body")).to_have_attribute("data-sound", "refused")
    await shot(page, "store-collection-refused-code")
    # The customer takes one tee today...
    await page.get_by_text("Only part of it").click()
    await page.get_by_label("SKU-TEE (2 waiting)").fill("1")
    await scan(page, code)
    await expect(page.get_by_text("Handed over in part")).to_be_visible()
    partly = await stack.fulfilment("ST-LYON", "lyon", order_id, lambda f: True)
    assert partly["status"] == "PARTIALLY_COLLECTED"
    # ...and the rest, with the same code, another day.
    await scan(page, code)
    await expect(page.get_by_text("Handed over.", exact=True)).to_be_visible()

    collected = await stack.fulfilment("ST-LYON", "lyon", order_id, lambda f: True)
    assert collected["status"] == "COLLECTED"
    await page.context.close()


async def test_a_store_key_cannot_open_another_stores_work_nor_an_analyst_page(
    browser: Any, stack: Stack
) -> None:
    order_id = new_id("LYON")
    await stack.place(order_id, delivery={"method": "collect", "store_id": "ST-LYON"})
    theirs = await stack.fulfilment("ST-LYON", "lyon", order_id, lambda f: True)
    page = await signed_in(browser, stack, "opera", PHONE_SIZE)
    # Only the store's section is offered...
    await expect(page.locator("#nav a")).to_have_text(["Store"])

    # ...and what the API refuses, the console shows refused.
    await page.goto(f"{stack.url}/console/#/store/ST-LYON")
    await expect(page.locator(".refusal[data-code='location_not_found']")).to_be_visible()
    await shot(page, "store-refused-other-store")
    await page.goto(f"{stack.url}/console/#/store/ST-OPERA/fulfilment/{theirs['id']}")
    await expect(page.locator(".refusal[data-code='fulfilment_not_found']")).to_be_visible()
    await page.goto(f"{stack.url}/console/#/desk")
    await expect(page.get_by_role("heading", name="Tasks")).to_be_visible()
    await expect(page.locator(".refusal[data-code='forbidden']")).to_be_visible()
    await page.goto(f"{stack.url}/console/#/orders/{order_id}")
    await expect(page.get_by_role("heading", name=f"Order {order_id}")).to_be_visible()
    await expect(page.locator(".refusal[data-code='forbidden']")).to_be_visible()
    await page.context.close()


async def test_a_store_receives_a_return_and_an_analyst_grades_it(
    browser: Any, stack: Stack
) -> None:
    order_id = new_id("RET")
    return_id = await stack.returned_at_lyon(order_id)

    page = await signed_in(browser, stack, "lyon", PHONE_SIZE)
    await page.get_by_role("link", name="Receive a return").click()
    await scan(page, return_id)
    await page.get_by_label("SKU-TEE (of 1)").fill("1")
    await page.get_by_role("button", name="Received").click()
    await expect(page.get_by_text(f"Return {return_id} received.")).to_be_visible()
    await shot(page, "store-return-received")
    await page.context.close()

    waiting = await stack.until(
        "/tasks?kind=return_qc&status=open",
        "analyst",
        lambda b: any(x["order_id"] == order_id for x in b["items"]),
    )
    task = next(x for x in waiting["items"] if x["order_id"] == order_id)
    page = await signed_in(browser, stack, "analyst", DESK_SIZE)
    await page.goto(f"{stack.url}/console/#/desk/task/{task['id']}")
    await page.get_by_label("Grade of the 1 × SKU-TEE received").select_option("qc_damaged")
    await page.get_by_role("button", name="Complete").click()
    await expect(page.get_by_text("Completed.", exact=True)).to_be_visible()
    done = await stack.until(
        f"/returns/{return_id}", "analyst", lambda r: r["status"] == "COMPLETED"
    )
    assert done["grades"] == [{"line_id": "1", "grade": "qc_damaged", "quantity": 1}]
    await page.context.close()


async def test_a_store_receives_a_transfer_by_its_label_and_hands_it_over(
    browser: Any, stack: Stack
) -> None:
    # A collection at the Bastille store, which holds none of it: the channel's profile ships
    # it there from the Opéra store, which picks, packs and hands it over to the carrier.
    # (By distance, as the other tests' orders expect whichever profile is in force.)
    transfers = {
        "channel": "web-fr",
        "transfer_to_store": True,
        "strategies": [{"name": "nearest", "criteria": [{"criterion": "distance"}]}],
        "fallback": {"name": "any", "criteria": [{"criterion": "distance"}]},
    }
    admin = stack.auth("admin")
    made = await stack.http.post("/sourcing/profiles/xfer/versions", json=transfers, headers=admin)
    assert made.status_code == 201, made.text
    published = await stack.http.post("/sourcing/profiles/xfer/versions/1/publish", headers=admin)
    assert published.status_code == 200, published.text
    order_id = new_id("XFER")
    await stack.place(order_id, delivery={"method": "collect", "store_id": "ST-BASTILLE"})
    opera = stack.auth("opera")
    row = await stack.fulfilment(
        "ST-OPERA", "opera", order_id, lambda f: (f["current_step"] or {}).get("type") == "pick"
    )
    assert row["transfer_to"] == "ST-BASTILLE"
    lines = [{"line_id": x["line_id"], "picked": x["quantity"]} for x in row["lines"]]
    url = f"/fulfilments/{row['id']}"
    assert (await stack.http.post(f"{url}/pick", json={"lines": lines}, headers=opera)).is_success
    await stack.fulfilment(
        "ST-OPERA", "opera", order_id, lambda f: (f["current_step"] or {}).get("type") == "pack"
    )
    parcels = {"parcels": [{"weight_grams": 800}]}
    assert (await stack.http.post(f"{url}/pack", json=parcels, headers=opera)).is_success
    booked = await stack.fulfilment(
        "ST-OPERA",
        "opera",
        order_id,
        lambda f: f["tracking_number"] and (f["current_step"] or {}).get("type") == "handover",
    )
    label = {"label": booked["tracking_number"]}
    assert (await stack.http.post(f"{url}/handover", json=label, headers=opera)).is_success
    await stack.fulfilment("ST-BASTILLE", "bastille", order_id, lambda f: f["current_step"])

    page = await signed_in(browser, stack, "bastille", PHONE_SIZE)
    await page.get_by_role("link", name=f"Transfer to receive · {row['id']}").click()
    await expect(page.get_by_role("heading", name="Receive the transfer")).to_be_visible()
    await scan(page, "BOX-9")
    await expect(page.locator(".refusal")).to_contain_text("Not this parcel's label.")
    await shot(page, "store-transfer-receive")
    await scan(page, booked["tracking_number"])
    await expect(page.get_by_role("heading", name="Collection at the counter")).to_be_visible()
    await scan(page, stack.collection_code(order_id))
    await expect(page.get_by_text("Handed over.", exact=True)).to_be_visible()
    done = await stack.until(f"/orders/{order_id}", "analyst", lambda o: o["status"] == "COMPLETED")
    assert [line["state"] for line in done["lines"]] == ["collected", "collected"]
    await page.context.close()
