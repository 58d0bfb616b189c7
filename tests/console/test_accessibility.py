"""The console audited by axe-core, the reference engine for WCAG rules: each main page, with
real data behind it, at the size it is made for (a phone for the store, a desk for analysts and
admins), in English and the first pages in French, breaks no WCAG 2.0/2.1 A or AA rule nor
axe's best practices (landmarks, headings). And a store worker signs in and opens a
fulfilment with the keyboard alone, always seeing where the focus is.

axe-playwright-python is a dev dependency: without it these tests fail rather than skip, so
that the audit cannot quietly stop running."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

from tests.console.pages import (
    CHROMIUM,
    DESK_SIZE,
    KEY_LABEL,
    PHONE_SIZE,
    audit,
    expect,
    scan,
    signed_in,
)
from tests.console.shown import shown_data
from tests.console.stack import TEE, Stack

pytest.importorskip("playwright.async_api", reason="playwright not installed")
pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"no Chromium at {CHROMIUM}: install the system's chromium package (.ci/run does)",
)


@pytest.fixture(scope="module")
async def shown(stack: Stack) -> dict[str, str]:
    """The data behind the pages, made once for the file."""
    return await shown_data(stack)


@dataclass(frozen=True)
class Audited:
    """A page audited: who signs in, on what screen, its address (with the shown data's ids),
    what says it is all there (a role or "label", and a name), the browser's language, and
    what is scanned into it and pressed first (a refusal or a notice shown, in their colours)."""

    who: str
    size: dict[str, int]
    address: str
    ready: tuple[str, str]
    locale: str = "en-GB"
    scan: str = ""
    press: str = ""


PAGES = {
    "work list": Audited("opera", PHONE_SIZE, "store/ST-OPERA", ("heading", "Work at ST-OPERA")),
    "liste de travail": Audited(
        "opera", PHONE_SIZE, "store/ST-OPERA", ("heading", "Travail à ST-OPERA"), "fr-FR"
    ),
    # A tee scanned while the mug is asked for: refused.
    "wave": Audited(
        "opera", PHONE_SIZE, "store/ST-OPERA/wave/{wave}", ("css", ".refusal"), scan=TEE
    ),
    "pack": Audited(
        "opera", PHONE_SIZE, "store/ST-OPERA/fulfilment/{packing}", ("heading", "Pack")
    ),
    "collection": Audited(
        "lyon",
        PHONE_SIZE,
        "store/ST-LYON/fulfilment/{counter}",
        ("css", ".refusal[data-code='invalid']"),
        scan="NOT-THE-CODE",
    ),
    "receiving a return": Audited(
        "lyon", PHONE_SIZE, "store/ST-LYON/returns", ("label", "SKU-TEE (of 1)"), scan="{return}"
    ),
    "task queue": Audited("analyst", DESK_SIZE, "desk", ("link", "Fraud review")),
    "fraud review": Audited(
        "analyst",
        DESK_SIZE,
        "desk/task/fraud-review-{held}",
        ("text", "Claimed: it is yours."),
        press="Claim",
    ),
    "order": Audited(
        "analyst",
        DESK_SIZE,
        "orders/{packing_order}",
        ("heading", "Timeline (events and messages)"),
    ),
    "order search": Audited(
        "analyst", DESK_SIZE, "orders?customer_id={customer}", ("link", "{held}")
    ),
    "sourcing profile": Audited(
        "admin", DESK_SIZE, "admin/sourcing/{sourcing}", ("label", "The draft (JSON)")
    ),
    "fulfilment profile": Audited(
        "admin", DESK_SIZE, "admin/fulfilment/{fulfilment}", ("label", "The draft (JSON)")
    ),
}


def _ready(page: Any, ready: tuple[str, str], shown: dict[str, str]) -> Any:
    kind, name = ready[0], ready[1].format(**shown)
    if kind == "css":
        return page.locator(name)
    if kind == "text":
        return page.get_by_text(name, exact=True)
    if kind == "label":
        return page.get_by_label(name, exact=True)
    return page.get_by_role(kind, name=name, exact=True).first


@pytest.mark.parametrize("name", PAGES)
async def test_a_main_page_passes_the_axe_audit(
    browser: Any, stack: Stack, shown: dict[str, str], name: str
) -> None:
    audited = PAGES[name]
    page = await signed_in(browser, stack, audited.who, audited.size, audited.locale)
    await page.goto(f"{stack.url}/console/#/{audited.address.format(**shown)}")
    if audited.scan:
        await scan(page, audited.scan.format(**shown))
    if audited.press:
        await page.get_by_role("button", name=audited.press, exact=True).click()
    await expect(_ready(page, audited.ready, shown)).to_be_visible()
    found = await audit(page, name)
    await page.context.close()
    assert not found, "\n".join(found)


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
async def test_the_sign_in_page_passes_the_axe_audit(
    browser: Any, stack: Stack, locale: str
) -> None:
    context = await browser.new_context(viewport=PHONE_SIZE, locale=locale)
    page = await context.new_page()
    await page.goto(f"{stack.url}/console")
    await expect(page.get_by_label(KEY_LABEL[locale[:2]])).to_be_focused()
    found = await audit(page, f"sign-in ({locale})")
    await context.close()
    assert not found, "\n".join(found)


async def test_the_admin_home_and_each_page_it_lists_pass_the_axe_audit(
    browser: Any, stack: Stack, shown: dict[str, str]
) -> None:
    page = await signed_in(browser, stack, "admin", DESK_SIZE)
    await page.goto(f"{stack.url}/console/#/admin")
    listed = page.locator("main a[href^='#/admin/']")
    await expect(listed.first).to_be_visible()
    found = await audit(page, "admin home")
    pages = [(await a.get_attribute("href"), await a.inner_text()) for a in await listed.all()]
    # Every resource the admin home offers, the profiles' lists among them.
    assert {"#/admin/locations", "#/admin/keys", "#/admin/sourcing", "#/admin/fulfilment"} <= {
        href for href, _ in pages
    }
    for href, title in pages:
        await page.goto(f"{stack.url}/console/{href}")
        await expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        # Loaded: the way back comes with the list.
        await expect(page.get_by_role("link", name="← Admin")).to_be_visible()
        found += await audit(page, href)
    await page.context.close()
    assert not found, "\n".join(found)


# How the focused element shows it has the focus: an outline at least 2px wide whose colour
# stands out 3:1 from what is behind it (WCAG 1.4.11, which axe does not check), or a ring
# drawn by box-shadow.
FOCUS = """() => {
  const e = document.activeElement;
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let behind = "rgb(255, 255, 255)";
  for (let up = e.parentElement; up; up = up.parentElement) {
    const bg = getComputedStyle(up).backgroundColor;
    if (rgb(bg).length === 3 || rgb(bg)[3] === 1) { behind = bg; break; }
  }
  const style = getComputedStyle(e);
  const [hi, lo] = [lum(style.outlineColor), lum(behind)].sort((a, b) => b - a);
  const contrast = Math.round(((hi + 0.05) / (lo + 0.05)) * 10) / 10;
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2
    && contrast >= 3;
  return { tag: e.tagName, href: e.getAttribute("href") || "", text: e.textContent.trim(),
    outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor} on ${behind}`,
    contrast, seen: outline || style.boxShadow !== "none" };
}"""


async def _seen_focused(page: Any) -> Any:
    focused = await page.evaluate(FOCUS)
    assert focused["seen"], f"the focus cannot be seen on {focused}"
    return focused


async def test_a_store_worker_signs_in_and_opens_a_fulfilment_with_the_keyboard_alone(
    browser: Any, stack: Stack, shown: dict[str, str]
) -> None:
    context = await browser.new_context(viewport=PHONE_SIZE, locale="en-GB")
    page = await context.new_page()
    await page.goto(f"{stack.url}/console")
    # The key's field waits with the focus; Tab goes on to the button, Enter signs in.
    await expect(page.get_by_label("API key")).to_be_focused()
    await _seen_focused(page)
    await page.keyboard.type(stack.keys["lyon"])
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    await _seen_focused(page)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Work at ST-LYON")).to_be_visible()
    collection = f"/fulfilment/{shown['counter']}"
    await expect(page.locator(f"a[href$='{collection}']")).to_be_visible()
    # The focus follows to the new page's content; just before it, the bar's last button.
    await expect(page.locator("#main")).to_be_focused()
    await page.keyboard.press("Shift+Tab")
    await expect(page.get_by_role("button", name="Sign out")).to_be_focused()
    await _seen_focused(page)

    # Tab by Tab through the work list to the collection waiting, each stop seen focused.
    stops = []
    for _ in range(40):
        await page.keyboard.press("Tab")
        stops.append(await _seen_focused(page))
        if stops[-1]["href"].endswith(collection):
            break
    assert stops[-1]["href"].endswith(collection), stops
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Collection at the counter")).to_be_visible()
    # A scanning page: the focus waits in the scan field, visibly.
    await expect(page.locator("#scan")).to_be_focused()
    await _seen_focused(page)
    await context.close()
