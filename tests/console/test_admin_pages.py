"""The admin pages' field forms in a real browser (headless Chromium) over the real API: a
location, a network, a channel and a key made or changed through their fields, a refusal shown
at the field it names, reason codes and return policies, and the pages refused to other keys."""

from __future__ import annotations

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


async def _channel(stack: Stack) -> str:
    """A network of two stores and a channel selling from it, made through the API."""
    channel = new_id("web").lower()
    net = await stack.http.post(
        "/networks",
        json={"id": f"net-{channel}", "name": "Paris", "locations": ["ST-OPERA", "ST-LYON"]},
        headers=stack.auth("admin"),
    )
    assert net.status_code == 201, net.text
    made = await stack.http.post(
        "/channels",
        json={"id": channel, "name": "Web", "market": "FR", "network_id": f"net-{channel}"},
        headers=stack.auth("admin"),
    )
    assert made.status_code == 201, made.text
    return channel


async def test_a_location_is_created_through_its_fields_and_a_bad_latitude_is_refused_at_it(
    browser: Any, stack: Stack
) -> None:
    page = await signed_in(browser, stack, "admin", DESK_SIZE)
    await page.goto(f"{stack.url}/console/#/admin/locations")
    new = page.locator("#new-form")
    await expect(new.get_by_label("Type", exact=True)).to_have_attribute("required", "")
    await expect(new.get_by_label("Orders a day")).to_have_value("1000")
    await new.get_by_label("Id", exact=True).fill("ST-MARAIS")
    await new.get_by_label("Name", exact=True).fill("Marais")
    await new.get_by_label("Type", exact=True).select_option("store")
    await new.get_by_label("Country", exact=True).fill("FR")
    await new.get_by_label("Latitude").fill("200")
    await new.get_by_label("Longitude").fill("2.3622")
    await page.get_by_role("button", name="Create").click()

    latitude = new.get_by_label("Latitude")
    await expect(latitude).to_have_attribute("aria-invalid", "true")
    await expect(latitude).to_be_focused()
    await expect(page.locator("#new-lat-error")).to_contain_text("less than or equal to 90")
    described = await latitude.get_attribute("aria-describedby")
    assert "new-lat-error" in described.split(), described
    await expect(new.get_by_label("Longitude")).not_to_have_attribute("aria-invalid", "true")
    await shot(page, "admin-location-form")
    listed = await stack.http.get("/locations", headers=stack.auth("analyst"))
    assert "ST-MARAIS" not in {x["id"] for x in listed.json()["items"]}

    await latitude.fill("48.8589")
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("Created.")).to_be_visible()
    await expect(page.get_by_role("cell", name="ST-MARAIS", exact=True)).to_be_visible()
    listed = await stack.http.get("/locations", headers=stack.auth("analyst"))
    marais = next(x for x in listed.json()["items"] if x["id"] == "ST-MARAIS")
    # The fields left as they came are the API's defaults; the empty vendor is not sent.
    assert (marais["name"], marais["type"], marais["lat"], marais["lon"]) == (
        "Marais",
        "store",
        48.8589,
        2.3622,
    )
    assert (marais["daily_capacity"], marais["is_open"], marais["vendor_id"]) == (1000, True, None)
    await page.context.close()


async def test_an_unknown_location_in_a_network_is_refused_at_its_field_and_a_channel_is_edited(
    browser: Any, stack: Stack
) -> None:
    channel = await _channel(stack)
    network = new_id("net").lower()
    page = await signed_in(browser, stack, "admin", DESK_SIZE)
    await page.goto(f"{stack.url}/console/#/admin/networks")
    new = page.locator("#new-form")
    await new.get_by_label("Id", exact=True).fill(network)
    await new.get_by_label("Name", exact=True).fill("Lyon and Opéra")
    await new.get_by_label("Locations").fill("ST-LYON, ST-NOWHERE")
    await page.get_by_role("button", name="Create").click()
    await expect(new.get_by_label("Locations")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#new-locations-error")).to_contain_text("no location 'ST-NOWHERE'")
    await new.get_by_label("Locations").fill("ST-LYON, ST-OPERA")
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_text("Created.")).to_be_visible()
    networks = await stack.http.get("/networks", headers=stack.auth("analyst"))
    made = next(n for n in networks.json()["items"] if n["id"] == network)
    assert made["locations"] == ["ST-LYON", "ST-OPERA"]

    # The channel's row opens its fields, filled in; a buffer of 5% is set, then taken off.
    await page.goto(f"{stack.url}/console/#/admin/channels")
    await page.get_by_role("button", name=f"Edit {channel}").click()
    change = page.locator("#edit-form")
    await expect(change.get_by_label("Name", exact=True)).to_have_value("Web")
    await expect(change.get_by_label("Network", exact=True)).to_have_value(f"net-{channel}")
    await change.get_by_label("Name", exact=True).fill("Web shop France")
    await change.get_by_label("Network", exact=True).fill(network)
    await change.get_by_label("Buffer held back").select_option("percent")
    await change.get_by_label("Buffer amount").fill("5")
    await change.get_by_label("Low-stock alert at").fill("3")
    await change.get_by_label("Customers' language").select_option("fr")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_text(f"{channel} saved.")).to_be_visible()
    answer = await stack.http.get("/channels", headers=stack.auth("analyst"))
    saved = next(c for c in answer.json()["items"] if c["id"] == channel)
    assert (saved["name"], saved["network_id"], saved["low_stock"], saved["locale"]) == (
        "Web shop France",
        network,
        3,
        "fr",
    )
    assert saved["buffer"] == {"quantity": None, "percent": 5.0}

    await page.get_by_role("button", name=f"Edit {channel}").click()
    await expect(change.get_by_label("Buffer amount")).to_have_value("5")
    await change.get_by_label("Buffer held back").select_option("")
    await change.get_by_label("Customers' language").select_option("")  # no language of its own
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_text(f"{channel} saved.")).to_be_visible()
    answer = await stack.http.get("/channels", headers=stack.auth("analyst"))
    cleared = next(c for c in answer.json()["items"] if c["id"] == channel)
    assert (cleared["buffer"], cleared["locale"]) == (None, None)
    await page.context.close()


async def test_an_admin_issues_a_store_key_from_the_role_list_and_its_secret_opens_the_api(
    browser: Any, stack: Stack
) -> None:
    page = await signed_in(browser, stack, "admin", DESK_SIZE)
    await page.goto(f"{stack.url}/console/#/admin/keys")
    new = page.locator("#new-form")
    await expect(new.get_by_label("Role").locator("option")).to_have_count(6)
    roles = (
        await new.get_by_label("Role")
        .locator("option")
        .evaluate_all("(options) => options.map((o) => o.value)")
    )
    assert roles == ["", "storefront", "analyst", "store", "integration", "admin"]
    await new.get_by_label("Role").select_option("store")
    await new.get_by_label("Name", exact=True).fill("lyon-tills")
    # A store key without its store: the API refuses the body as a whole, shown as a refusal.
    await page.get_by_role("button", name="Create").click()
    await expect(page.locator("#new-form .refusal")).to_contain_text(
        "a store key needs its location_id"
    )
    await new.get_by_label("Location", exact=True).fill("ST-LYON")
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_text("Keep the secret now: it is shown this once.")).to_be_visible()
    secret = (await page.locator("#secret").inner_text()).strip()

    me = await stack.http.get("/keys/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200, me.text
    assert (me.json()["role"], me.json()["name"], me.json()["location_id"]) == (
        "store",
        "lyon-tills",
        "ST-LYON",
    )
    await page.context.close()


async def test_an_admin_creates_edits_and_retires_a_reason_code_and_a_built_in_one_stays(
    browser: Any, stack: Stack
) -> None:
    page = await signed_in(browser, stack, "admin", DESK_SIZE)
    page.on("dialog", lambda dialog: dialog.accept())
    await page.goto(f"{stack.url}/console/#/admin")
    await page.get_by_role("link", name="Reason codes").click()
    await expect(page.get_by_role("heading", name="Reason codes")).to_be_visible()
    await expect(page.get_by_role("cell", name="Not found on the shelf")).to_be_visible()
    new = page.locator("#new-form")
    await new.get_by_label("Code", exact=True).fill("Shelf Empty")
    await new.get_by_label("Label", exact=True).fill("Shelf empty")
    await new.get_by_label("short pick").check()
    await new.get_by_label("Stock effect").select_option("recount")
    await new.get_by_label("Routing effect").select_option("reroute")
    await new.get_by_label("Message to the customer").select_option(
        "customer.item_sent_from_elsewhere"
    )
    await page.get_by_role("button", name="Create").click()
    await expect(new.get_by_label("Code", exact=True)).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#new-code-error")).to_contain_text("pattern")
    await new.get_by_label("Code", exact=True).fill("shelf_empty")
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_text("shelf_empty saved.")).to_be_visible()

    async def short_pick_codes() -> dict[str, Any]:
        answer = await stack.http.get("/reason-codes?usage=short_pick", headers=stack.auth("opera"))
        return {c["code"]: c for c in answer.json()["items"]}

    made = (await short_pick_codes())["shelf_empty"]
    assert (made["label"], made["stock_effect"], made["routing_effect"]) == (
        "Shelf empty",
        "recount",
        "reroute",
    )
    assert (made["customer_message"], made["usages"], made["built_in"]) == (
        "customer.item_sent_from_elsewhere",
        ["short_pick"],
        False,
    )

    await page.get_by_role("button", name="Edit shelf_empty").click()
    change = page.locator("#edit-form")
    await expect(change.get_by_label("short pick")).to_be_checked()
    await change.get_by_label("Label", exact=True).fill("Shelf found empty")
    await shot(page, "admin-reason-codes")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_text("shelf_empty saved.")).to_be_visible()
    assert (await short_pick_codes())["shelf_empty"]["label"] == "Shelf found empty"

    await page.get_by_role("button", name="Retire shelf_empty").click()
    await expect(page.get_by_text("shelf_empty retired")).to_be_visible()
    assert (await short_pick_codes())["shelf_empty"]["active"] is False

    # A built-in code offers no Retire, and keeps the usages it was built with.
    await expect(page.get_by_role("button", name="Retire not_found")).to_have_count(0)
    retire = await stack.http.delete("/reason-codes/not_found", headers=stack.auth("admin"))
    assert retire.status_code == 409, retire.text
    await page.get_by_role("button", name="Edit not_found").click()
    await change.get_by_label("short pick").uncheck()
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.locator("#edit-usages-error")).to_contain_text("short_pick")
    await expect(change.get_by_label("rejection")).to_have_attribute("aria-invalid", "true")
    assert (await short_pick_codes())["not_found"]["active"] is True
    # A new code named like a listed one would replace it (PUT): refused at its field.
    label = (await short_pick_codes())["not_found"]["label"]
    await new.get_by_label("Code", exact=True).fill("not_found")
    await new.get_by_label("Label", exact=True).fill("Replaced by mistake")
    await page.get_by_role("button", name="Create").click()
    await expect(page.locator("#new-code-error")).to_contain_text("not_found exists already")
    assert (await short_pick_codes())["not_found"]["label"] == label
    await page.context.close()


async def test_an_admin_sets_a_channels_return_window(browser: Any, stack: Stack) -> None:
    channel = await _channel(stack)
    page = await signed_in(browser, stack, "admin", DESK_SIZE)
    await page.goto(f"{stack.url}/console/#/admin/return-policies")
    await page.get_by_role("button", name=f"Edit {channel}").click()
    change = page.locator("#edit-form")
    # The default policy, as the API answers it before anyone sets one.
    await expect(change.get_by_label("Return window (days)")).to_have_value("30")
    await expect(change.get_by_label("qc_resellable")).to_be_checked()
    await change.get_by_label("Return window (days)").fill("5000")
    await page.get_by_role("button", name="Save", exact=True).click()
    window = change.get_by_label("Return window (days)")
    await expect(window).to_have_attribute("aria-invalid", "true")
    await expect(window).to_be_focused()
    await window.fill("14")
    await change.get_by_label("Windows by category (days)").fill("electronics=7")
    await change.get_by_label("Categories never returned").fill("food, gift-cards")
    await change.get_by_label("gold").check()
    await change.get_by_label("qc_damaged").uncheck()
    await change.get_by_label("Shipping refunded").select_option("when_all_returned")
    await change.get_by_label("defective").check()
    await shot(page, "admin-return-policy")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_text(f"Return policy of {channel} saved.")).to_be_visible()

    answer = await stack.http.get(f"/return-policies/{channel}", headers=stack.auth("analyst"))
    policy = answer.json()["policy"]
    assert (policy["window_days"], policy["category_window_days"]) == (14, {"electronics": 7})
    assert policy["non_returnable_categories"] == ["food", "gift-cards"]
    assert (policy["instant_refund_tiers"], policy["refunded_grades"]) == (
        ["gold"],
        ["qc_resellable"],
    )
    assert policy["refund_shipping"] == "when_all_returned"
    assert policy["shipping_refund_reasons"] == ["defective"]
    assert (policy["receive_within_days"], policy["qc_due_hours"]) == (30, 48)
    await expect(page.get_by_role("cell", name="when everything is returned")).to_be_visible()
    # The same page in French.
    await page.get_by_role("button", name="Français").click()
    await expect(page.get_by_role("heading", name="Politiques de retour")).to_be_visible()
    await expect(page.get_by_role("cell", name="quand tout est revenu")).to_be_visible()
    await page.context.close()


async def test_a_store_or_analyst_key_is_shown_the_apis_refusal_on_the_admin_pages(
    browser: Any, stack: Stack
) -> None:
    page = await signed_in(browser, stack, "opera", PHONE_SIZE)
    await expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    await page.goto(f"{stack.url}/console/#/admin/return-policies")
    await expect(page.locator(".refusal")).to_contain_text(
        "Refused: this key's role may not open this."
    )
    await expect(page.locator(".refusal")).to_have_attribute("data-code", "forbidden")
    await expect(page.get_by_role("button", name="Save")).to_have_count(0)
    await page.context.close()

    # An analyst reads the codes (a desk shows them) but the API refuses a new one.
    page = await signed_in(browser, stack, "analyst", DESK_SIZE)
    await page.goto(f"{stack.url}/console/#/admin/reason-codes")
    new = page.locator("#new-form")
    await new.get_by_label("Code", exact=True).fill("analyst_code")
    await new.get_by_label("Label", exact=True).fill("Not mine to make")
    await new.get_by_label("cancellation").check()
    await page.get_by_role("button", name="Create").click()
    await expect(page.locator("#new-form .refusal")).to_have_attribute("data-code", "forbidden")
    answer = await stack.http.get("/reason-codes/analyst_code", headers=stack.auth("analyst"))
    assert answer.status_code == 404, answer.text
    await page.context.close()
