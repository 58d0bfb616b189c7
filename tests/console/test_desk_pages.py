"""The analyst desk and the admin pages in a real browser (headless Chromium) over a real
API, worker and Temporal: a held order claimed and approved, a sourcing profile edited,
simulated and published, locations and keys managed, and a browser asking for French."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.console.pages import CHROMIUM, DESK_SIZE, PHONE_SIZE, expect, shot, signed_in
from tests.console.stack import Stack, new_id

pytest.importorskip("playwright.async_api", reason="playwright not installed")
pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"no Chromium at {CHROMIUM}: install the system's chromium package (.ci/run does)",
)


async def test_an_analyst_claims_and_approves_a_held_order_and_the_order_moves_on(
    browser: Any, stack: Stack
) -> None:
    order_id = new_id("HELD")
    customer = {"id": f"C-{order_id}", "email": "new@example.com", "tier": "new"}
    phone = [{"line_id": "1", "sku": "SKU-PHONE", "quantity": 1, "unit_price": 89900}]
    await stack.place(order_id, customer=customer, lines=phone)
    await stack.until(f"/orders/{order_id}", "analyst", lambda o: o["status"] == "AWAITING_REVIEW")
    page = await signed_in(browser, stack, "analyst", DESK_SIZE)
    await page.get_by_label("Kind").select_option("fraud_review")
    await page.get_by_role("button", name="Filter").click()
    await page.get_by_role("link", name="Fraud review").first.wait_for()
    await shot(page, "desk-task-queue")
    await page.goto(f"{stack.url}/console/#/desk/task/fraud-review-{order_id}")
    await expect(page.locator("#score")).to_contain_text("Score 45")
    await expect(page.get_by_role("cell", name="risky_category", exact=True)).to_be_visible()
    await expect(page.get_by_role("cell", name="+20", exact=True)).to_be_visible()
    await page.get_by_role("button", name="Claim").click()
    await expect(page.get_by_text("Claimed: it is yours.")).to_be_visible()
    await shot(page, "desk-fraud-review")
    await page.get_by_label("Decision").select_option("approve")
    await page.get_by_label("Reason").fill("ID checked by phone")
    await page.get_by_role("button", name="Complete").click()
    await expect(page.get_by_text("Completed.", exact=True)).to_be_visible()

    moved = await stack.until(
        f"/orders/{order_id}", "analyst", lambda o: o["status"] not in ("AWAITING_REVIEW",)
    )
    assert moved["fraud"]["review_decision"] == "approve"
    # Found again by its customer, from the order search (Alt+O opens it).
    await page.keyboard.press("Alt+o")
    await expect(page.get_by_role("heading", name="Orders", exact=True)).to_be_visible()
    await page.get_by_label("Customer").fill(customer["id"])
    await page.get_by_role("button", name="Search").click()
    await page.get_by_role("link", name=order_id).click()
    await expect(page.locator("#order-status")).not_to_contain_text("Awaiting review")
    await expect(page.get_by_role("heading", name="Timeline (events and messages)")).to_be_visible()
    await shot(page, "desk-order")
    # The same desk in French.
    await page.get_by_role("button", name="Français").click()
    await expect(
        page.get_by_role("heading", name="Historique (événements et messages)")
    ).to_be_visible()
    await page.context.close()


SOURCING = {
    "channel": "web-fr",
    "description": "first draft",
    "strategies": [{"name": "nearest", "criteria": [{"criterion": "distance"}]}],
    "fallback": {"name": "any", "criteria": [{"criterion": "distance"}]},
}


async def test_an_admin_edits_simulates_and_publishes_a_sourcing_profile(
    browser: Any, stack: Stack
) -> None:
    made = await stack.http.post(
        "/sourcing/profiles/paris/versions", json=SOURCING, headers=stack.auth("admin")
    )
    assert made.status_code == 201, made.text
    version = made.json()["version"]
    order_id = new_id("PAST")
    await stack.place(order_id)
    await stack.until(f"/orders/{order_id}", "analyst", lambda o: bool(o["sourcing"]))
    decided = await stack.http.get(f"/orders/{order_id}/sourcing", headers=stack.auth("analyst"))
    first = decided.json()["decisions"][0]
    page = await signed_in(browser, stack, "admin", DESK_SIZE)
    await page.goto(f"{stack.url}/console/#/admin/sourcing")
    await page.get_by_role("link", name=f"paris v{version}").click()
    await expect(page.get_by_role("heading", name=f"Profile paris v{version}")).to_be_visible()
    editor = page.get_by_label("The draft (JSON)")
    document = (await editor.input_value()).replace("first draft", "nearest store first")
    await editor.fill(document.replace('"distance"', '"nowhere"', 1))
    await page.get_by_role("button", name="Validate").click()
    await expect(page.locator(".refusal")).to_contain_text("strategies")
    await editor.fill(document)
    await page.get_by_role("button", name="Validate").click()
    await expect(page.get_by_text("Valid.")).to_be_visible()
    await page.get_by_role("button", name="Save the draft").click()
    await expect(page.get_by_text(f"Draft paris v{version} saved.")).to_be_visible()
    await page.get_by_role("button", name="Simulate on past orders").click()
    await expect(page.locator("#trial-totals")).to_contain_text("orders tried")
    await page.locator("#trial-totals").scroll_into_view_if_needed()
    await shot(page, "admin-sourcing-profile")
    # Then on one past order chosen by its id, from the keyboard: its plan with the draft, and
    # how it was sourced.
    await page.get_by_label("Simulate on an order (its id)").fill(order_id)
    await page.keyboard.press("Enter")
    await expect(page.locator("#sim-title")).to_have_text(f"Order {order_id} with this version")
    alone = await stack.http.post(
        "/sourcing/simulate",
        json={"order_id": order_id, "profile": json.loads(document)},
        headers=stack.auth("analyst"),
    )
    planned = alone.json()["plan"]
    sourced = sorted({a["location_id"] for a in first["explanation"]["allocations"]})
    assert planned["locations"], alone.text
    await expect(page.locator("#sim-locations")).to_have_text(", ".join(planned["locations"]))
    await expect(page.get_by_text(f"{first['profile']}: {', '.join(sourced)}")).to_be_visible()
    difference = (
        "None: placed as it was sourced."
        if not alone.json()["as_sourced"]["changed"]
        else "Placed otherwise"
    )
    await expect(page.locator("#sim-difference")).to_contain_text(difference)
    allocations = page.get_by_role("table", name="Its allocations with this version")
    for a in planned["allocations"]:
        await expect(allocations.get_by_role("cell", name=a["sku"], exact=True)).to_be_visible()
    await expect(page.get_by_text("Sourcing explanation")).to_be_visible()
    await page.get_by_label("Simulate on an order (its id)").fill("NO-SUCH-ORDER")
    await page.get_by_role("button", name="Simulate on this order").click()
    await expect(page.locator(".refusal")).to_contain_text("order_not_found")
    await page.get_by_role("button", name="Publish").click()
    await expect(page.get_by_text(f"paris v{version} is in force.")).to_be_visible()

    in_force = await stack.http.get(
        "/sourcing/profiles/in-force?channel=web-fr", headers=stack.auth("analyst")
    )
    assert (in_force.json()["id"], in_force.json()["version"]) == ("paris", version)
    assert in_force.json()["description"] == "nearest store first", in_force.json()

    # A pop-up store opened through the location's fields, then closed from its row; a
    # latitude past the pole is refused at its field.
    await page.goto(f"{stack.url}/console/#/admin/locations")
    new = page.locator("#new-form")
    await new.get_by_label("Id", exact=True).fill("ST-POPUP")
    await new.get_by_label("Name", exact=True).fill("Pop-up")
    await new.get_by_label("Type", exact=True).select_option("store")
    await new.get_by_label("Country", exact=True).fill("FR")
    await new.get_by_label("Latitude").fill("48.86")
    await new.get_by_label("Longitude").fill("2.34")
    await page.get_by_role("button", name="Create").click()
    await page.get_by_role("button", name="Edit ST-POPUP").click()
    change = page.locator("#edit-form")
    await expect(change.get_by_label("Name", exact=True)).to_have_value("Pop-up")
    await change.get_by_label("Latitude").fill("200")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(change.get_by_label("Latitude")).to_have_attribute("aria-invalid", "true")
    await expect(change.locator("#edit-lat-error")).to_contain_text("90")
    await change.get_by_label("Latitude").fill("48.86")
    await change.get_by_label("Open", exact=True).uncheck()
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_text("ST-POPUP saved.")).to_be_visible()
    listed = await stack.http.get("/locations", headers=stack.auth("analyst"))
    popup = next(x for x in listed.json()["items"] if x["id"] == "ST-POPUP")
    assert (popup["is_open"], popup["lat"]) == (False, 48.86)

    # A new key: its secret shown this once, and it opens the API.
    await page.goto(f"{stack.url}/console/#/admin/keys")
    new = page.locator("#new-form")
    await new.get_by_label("Role").select_option("store")
    await new.get_by_label("Name", exact=True).fill("opera-2")
    await new.get_by_label("Location", exact=True).fill("ST-OPERA")
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_text("Keep the secret now")).to_be_visible()
    secret = (await page.locator("#secret").inner_text()).strip()
    me = await stack.http.get("/keys/me", headers={"Authorization": f"Bearer {secret}"})
    assert (me.json()["name"], me.json()["location_id"]) == ("opera-2", "ST-OPERA")
    await page.context.close()


async def test_a_browser_asking_for_french_gets_the_console_in_french(
    browser: Any, stack: Stack
) -> None:
    context = await browser.new_context(viewport=PHONE_SIZE, locale="fr-FR")
    page = await context.new_page()
    await page.goto(f"{stack.url}/console")

    await expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await shot(page, "login-fr")
    await page.get_by_label("Clé d'API").fill(stack.keys["opera"])
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Travail à ST-OPERA")).to_be_visible()
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Work at ST-OPERA")).to_be_visible()
    await context.close()
