"""An order's appeasements on the analyst desk, in a real browser (headless Chromium): money
given back without a return, granted from the order's page, then shown refunded; a second
one over what the captures have left is refused, and said so."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.console.pages import CHROMIUM, DESK_SIZE, expect, shot, signed_in
from tests.console.stack import Stack, new_id

pytest.importorskip("playwright.async_api", reason="playwright not installed")
pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"no Chromium at {CHROMIUM}: install the system's chromium package (.ci/run does)",
)


async def _give(page: Any, amount: str, reason: str, note: str) -> None:
    await page.get_by_label("Amount (EUR)").fill(amount)
    await page.get_by_label("Reason").select_option(reason)
    await page.get_by_label("Note (for customer service)").fill(note)
    await page.get_by_role("button", name="Give back").click()


async def test_an_analyst_gives_money_back_without_a_return_from_the_orders_page(
    browser: Any, stack: Stack
) -> None:
    order_id = new_id("APP")
    await stack.collected(order_id)  # collected at Lyon: captured
    url = f"/orders/{order_id}"
    await stack.until(url, "analyst", lambda o: o["payment"]["captured"] > 0)

    page = await signed_in(browser, stack, "analyst", DESK_SIZE)
    await page.goto(f"{stack.url}/console/#{url}")
    section = page.get_by_role("region", name="Money given back without a return")
    await expect(section.get_by_text("None given.")).to_be_visible()
    await _give(page, "10", "late_delivery", "came two days late")
    await expect(page.get_by_text("€10.00 is being refunded to the customer.")).to_be_visible()

    listed = await stack.until(
        f"{url}/appeasements", "analyst", lambda b: b["items"][0]["status"] == "refunded"
    )
    [given] = listed["items"]
    assert (given["amount"], given["reason_code"], given["note"]) == (
        1000,
        "late_delivery",
        "came two days late",
    )
    await page.reload()
    rows = page.get_by_role("table", name="Money given back without a return")
    await expect(rows.get_by_role("cell", name="refunded", exact=True)).to_be_visible()
    await expect(rows.get_by_role("cell", name="analyst:ana-analyst", exact=True)).to_be_visible()
    # More than the captures have left: refused, with what is left.
    await _give(page, "1000", "price_match", "matched a rival's price")
    refused = page.locator("#appeasements-result .refusal")
    await expect(refused).to_contain_text("exceeds_refundable")
    await expect(refused).to_contain_text("may refund")
    await shot(page, "desk-order-appeasements")
    await page.context.close()
