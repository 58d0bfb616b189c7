"""The console in a real browser (headless Chromium) over a real API, worker and Temporal: a
store picks a wave by scanning, packs and hands over; a customer collects with their code; an
analyst approves a held order; an admin publishes a sourcing profile; a store key is refused
what is not its own. Each test leaves a screenshot of its main pages in docs/console/."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel
from temporalio.testing import WorkflowEnvironment

from oms.db.availability import forget_topology
from oms.db.engine import Database
from tests.console.stack import CHROMIUM, MUG, SCREENSHOTS, TEE, Stack, new_id, serving

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright not installed")
pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"no Chromium at {CHROMIUM}: install the system's chromium package (.ci/run does)",
)
expect = playwright_api.expect
# Each answer may wait on the worker and Temporal, on a machine the whole suite shares.
expect.set_options(timeout=20_000)
PHONE_SIZE = {"width": 390, "height": 780}
DESK_SIZE = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def console_db(pg_database: Database | None, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One database for the file (the stack serves every test of it)."""
    forget_topology()
    if pg_database is not None:
        names = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
        with pg_database.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        yield pg_database
        return
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('console') / 'oms.db'}")
    SQLModel.metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
async def stack(dev_env: WorkflowEnvironment, console_db: Database) -> AsyncIterator[Stack]:
    async with serving(dev_env, console_db) as served:
        yield served


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        launched = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        await launched.close()


async def signed_in(browser: Any, stack: Stack, who: str, size: dict[str, int]) -> Any:
    context = await browser.new_context(viewport=size, locale="en-GB")
    page = await context.new_page()
    page.set_default_timeout(20_000)
    await page.goto(f"{stack.url}/console")
    # With the keyboard alone: the key's field has the focus, Enter signs in.
    await expect(page.get_by_label("API key")).to_be_focused()
    await page.keyboard.type(stack.keys[who])
    await page.keyboard.press("Enter")
    await expect(page.locator("#who")).to_contain_text(who if who != "analyst" else "ana")
    return page


_SHOTS: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Where the screenshots go: docs/console/ when OMS_CONSOLE_SCREENSHOTS=1 asks to refresh
    them (their ids and times change at every run, so a plain run leaves the docs alone)."""
    refresh = os.environ.get("OMS_CONSOLE_SCREENSHOTS") == "1"
    _SHOTS.append(SCREENSHOTS if refresh else tmp_path_factory.mktemp("screenshots"))
    yield
    _SHOTS.pop()


# The controls of a page that a screen reader could not name: no label, no aria-label, no
# text of their own.
UNNAMED = """() => [...document.querySelectorAll("input, select, textarea, button, a")]
  .filter((e) => !e.closest("[hidden]"))
  .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label")
    && !(e.textContent || "").trim())
  .map((e) => e.outerHTML)"""


async def shot(page: Any, name: str) -> None:
    """A screenshot of one of the main pages, once every control on it has a name."""
    assert await page.evaluate(UNNAMED) == [], name
    _SHOTS[-1].mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(_SHOTS[-1] / f"{name}.png"))


async def scan(page: Any, code: str) -> None:
    await page.locator("#scan").fill(code)
    await page.locator("#scan").press("Enter")


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
    await page.get_by_role("button", name="Publish").click()
    await expect(page.get_by_text(f"paris v{version} is in force.")).to_be_visible()

    in_force = await stack.http.get(
        "/sourcing/profiles/in-force?channel=web-fr", headers=stack.auth("analyst")
    )
    assert (in_force.json()["id"], in_force.json()["version"]) == ("paris", version)
    assert in_force.json()["description"] == "nearest store first", in_force.json()

    # A pop-up store opened, then closed from its row (nothing is sourced there: no stock).
    await page.goto(f"{stack.url}/console/#/admin/locations")
    await page.get_by_label("New one (JSON, as the API takes it)").fill(
        '{"id": "ST-POPUP", "name": "Pop-up", "type": "store", "country": "FR",'
        ' "lat": 48.86, "lon": 2.34}'
    )
    await page.get_by_role("button", name="Create").click()
    await page.get_by_role("button", name="Edit ST-POPUP").click()
    change = page.get_by_label("What changes (JSON, as the API takes it)")
    await change.fill('{"is_open": "maybe"}')
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.locator(".refusal")).to_contain_text("is_open")
    await change.fill('{"is_open": false}')
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_text("ST-POPUP saved.")).to_be_visible()
    listed = await stack.http.get("/locations", headers=stack.auth("analyst"))
    popup = next(x for x in listed.json()["items"] if x["id"] == "ST-POPUP")
    assert popup["is_open"] is False

    # A new key: its secret shown this once, and it opens the API.
    await page.goto(f"{stack.url}/console/#/admin/keys")
    await page.get_by_label("New one (JSON, as the API takes it)").fill(
        '{"role": "store", "name": "opera-2", "location_id": "ST-OPERA"}'
    )
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_text("Keep the secret now")).to_be_visible()
    answer = (await page.locator("#result pre").inner_text()).strip()
    secret = json.loads(answer)["secret"]
    me = await stack.http.get("/keys/me", headers={"Authorization": f"Bearer {secret}"})
    assert (me.json()["name"], me.json()["location_id"]) == ("opera-2", "ST-OPERA")
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


async def _collected(stack: Stack, order_id: str) -> None:
    """A Lyon collection picked, packed and collected through the API."""
    await stack.place(order_id, delivery={"method": "collect", "store_id": "ST-LYON"})
    lyon = stack.auth("lyon")
    row = await stack.fulfilment("ST-LYON", "lyon", order_id, lambda f: f["current_step"])
    scans = f"/fulfilments/{row['id']}/scans"
    for step in ("pick", "verify"):
        await stack.fulfilment(
            "ST-LYON", "lyon", order_id, lambda f, s=step: (f["current_step"] or {}).get("key") == s
        )
        for barcode in (TEE, TEE, MUG):
            scanned = await stack.http.post(scans, json={"barcode": barcode}, headers=lyon)
            assert scanned.status_code == 200, scanned.text
        url = f"/fulfilments/{row['id']}/" + ("pick" if step == "pick" else "steps/verify/complete")
        done = await stack.http.post(url, headers=lyon)
        assert done.status_code == 200, done.text
    await stack.fulfilment(
        "ST-LYON", "lyon", order_id, lambda f: (f["current_step"] or {}).get("type") == "pack"
    )
    parcels = {"parcels": [{"weight_grams": 800}]}
    packed = await stack.http.post(f"/fulfilments/{row['id']}/pack", json=parcels, headers=lyon)
    assert packed.status_code == 200, packed.text
    await stack.fulfilment(
        "ST-LYON", "lyon", order_id, lambda f: (f["current_step"] or {}).get("type") == "collected"
    )
    code = {"code": stack.collection_code(order_id)}
    collected = await stack.http.post(f"/fulfilments/{row['id']}/collect", json=code, headers=lyon)
    assert collected.status_code == 200, collected.text


async def test_a_store_receives_a_return_and_an_analyst_grades_it(
    browser: Any, stack: Stack
) -> None:
    order_id = new_id("RET")
    await _collected(stack, order_id)
    request = {
        "lines": [{"line_id": "1", "quantity": 1}],
        "reason_code": "changed_mind",
        "method": "in_store",
        "location_id": "ST-LYON",
    }
    asked = await stack.http.post(
        f"/orders/{order_id}/returns", json=request, headers=stack.auth("analyst")
    )
    assert asked.status_code == 201, asked.text
    return_id = asked.json()["return_id"]

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
    await page.get_by_role("button", name="Complete").click()
    await expect(page.get_by_text("Completed.", exact=True)).to_be_visible()
    done = await stack.until(
        f"/returns/{return_id}", "analyst", lambda r: r["status"] == "COMPLETED"
    )
    assert done["grades"] == [{"line_id": "1", "grade": "qc_resellable", "quantity": 1}]
    await page.context.close()


async def test_a_store_receives_a_transfer_by_its_label_and_hands_it_over(
    browser: Any, stack: Stack
) -> None:
    # A collection at the Bastille store, which holds none of it: the channel's profile ships
    # it there from the Opéra store, which picks, packs and hands it over to the carrier.
    # (By distance, as the other tests' orders expect whichever profile is in force.)
    transfers = {**SOURCING, "description": "ship to store", "transfer_to_store": True}
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
