"""An order's messages to its customer on the analyst desk, in a real browser (headless
Chromium): what was sent and how it went, and a message sent again to the same address and to
a corrected one."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.customer_messages import CustomerMessageActivities
from oms.contracts.customer_messages import MessagesRequest
from oms.db.tables import OutboxEvent
from tests.console.pages import CHROMIUM, DESK_SIZE, expect, shot, signed_in
from tests.console.stack import Stack, new_id

pytest.importorskip("playwright.async_api", reason="playwright not installed")
pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"no Chromium at {CHROMIUM}: install the system's chromium package (.ci/run does)",
)


async def confirmed(stack: Stack, order_id: str) -> None:
    """Until the order's confirmation is in the outbox (the event its first message tells)."""
    query = select(OutboxEvent.id).where(
        OutboxEvent.type == "order.confirmed", OutboxEvent.order_id == order_id
    )
    for _ in range(300):
        with stack.db.reading() as s:
            if s.exec(query).first() is not None:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{order_id} was never confirmed")


def one_pass(stack: Stack) -> None:
    """One pass of the customer messages with no mail server: each due one is recorded
    skipped (the browser stack runs no sending loop of its own)."""
    step = CustomerMessageActivities(stack.db, None, domain="shop.example")
    req = MessagesRequest(now=datetime.now(UTC), run_for_s=0, poll_s=0.1, batch=50, retry_for_s=60)
    ActivityEnvironment().run(step.send_customer_messages, req)


async def test_an_analyst_sees_an_orders_messages_and_sends_one_again(
    browser: Any, stack: Stack
) -> None:
    order_id = new_id("MSG")
    await stack.place(order_id)
    await stack.until(f"/orders/{order_id}", "analyst", lambda o: o["status"] != "RECEIVED")
    await confirmed(stack, order_id)
    one_pass(stack)
    listed = await stack.http.get(f"/orders/{order_id}/messages", headers=stack.auth("analyst"))
    [first] = listed.json()["items"]

    page = await signed_in(browser, stack, "analyst", DESK_SIZE)
    await page.goto(f"{stack.url}/console/#/orders/{order_id}")
    messages = page.get_by_role("table", name="Messages to the customer")
    await expect(messages.get_by_role("cell", name="order confirmed", exact=True)).to_be_visible()
    await expect(
        messages.get_by_role("cell", name="not sent (no mail server)", exact=True)
    ).to_be_visible()
    await page.get_by_role("button", name=f"Send again: order confirmed, {first['id']}").click()
    await expect(page.get_by_text(f"A copy is on its way to {first['to']}.")).to_be_visible()
    await expect(
        messages.get_by_role("cell", name=f"order confirmed (copy of {first['id']})")
    ).to_be_visible()
    await expect(messages.get_by_role("cell", name="on its way", exact=True)).to_be_visible()
    # While the copy is on its way, another is refused, and said so.
    await page.get_by_label("Email address").fill("sam.right@example.com")
    await page.get_by_label("Message", exact=True).select_option(str(first["id"]))
    await page.get_by_role("button", name="Send to this address").click()
    await expect(page.locator("#messages-result .refusal")).to_contain_text("message_pending")
    one_pass(stack)
    await page.reload()
    await page.get_by_label("Email address").fill("sam.right@example.com")
    await page.get_by_label("Message", exact=True).select_option(str(first["id"]))
    await page.get_by_role("button", name="Send to this address").click()
    await expect(page.get_by_text("A copy is on its way to sam.right@example.com.")).to_be_visible()
    await shot(page, "desk-order-messages")

    after = await stack.http.get(f"/orders/{order_id}/messages", headers=stack.auth("analyst"))
    rows = [(m["to"], m["resend_of"]) for m in after.json()["items"]]
    assert rows == [
        (first["to"], None),
        (first["to"], first["id"]),
        ("sam.right@example.com", first["id"]),
    ]
    await page.context.close()
