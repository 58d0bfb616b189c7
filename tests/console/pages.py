"""What the browser tests do on a page: sign in, scan, take a screenshot once every control
of the page has a name, and audit it with axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.console.stack import CHROMIUM, Stack

__all__ = [
    "CHROMIUM",
    "DESK_SIZE",
    "PHONE_SIZE",
    "audit",
    "expect",
    "scan",
    "shot",
    "signed_in",
]

PHONE_SIZE = {"width": 390, "height": 780}
DESK_SIZE = {"width": 1280, "height": 800}
# Where the screenshots of the running test file go (tests/console/conftest.py sets it).
SHOTS: list[Path] = []


def expect(target: Any) -> Any:
    """Playwright's expect, waiting up to 20 s: each answer may wait on the worker and
    Temporal, on a machine the whole suite shares."""
    from playwright.async_api import expect as playwright_expect

    playwright_expect.set_options(timeout=20_000)
    return playwright_expect(target)


# The sign-in field's label in each language the console speaks.
KEY_LABEL = {"en": "API key", "fr": "Clé d'API"}


async def signed_in(
    browser: Any, stack: Stack, who: str, size: dict[str, int], locale: str = "en-GB"
) -> Any:
    context = await browser.new_context(viewport=size, locale=locale)
    page = await context.new_page()
    page.set_default_timeout(20_000)
    await page.goto(f"{stack.url}/console")
    # With the keyboard alone: the key's field has the focus, Enter signs in.
    await expect(page.get_by_label(KEY_LABEL[locale[:2]])).to_be_focused()
    await page.keyboard.type(stack.keys[who])
    await page.keyboard.press("Enter")
    await expect(page.locator("#who")).to_contain_text(who if who != "analyst" else "ana")
    return page


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
    SHOTS[-1].mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS[-1] / f"{name}.png"))


async def scan(page: Any, code: str) -> None:
    await page.locator("#scan").fill(code)
    await page.locator("#scan").press("Enter")


# axe-core's rules for WCAG 2.0 and 2.1, levels A and AA; and its best practices, where the
# rules on landmarks and headings are (one main, one h1, headings in order, nothing outside
# a landmark), which a screen reader's user moves by.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


async def audit(page: Any, name: str) -> list[str]:
    """What axe-core finds on the page as it is shown now: one line per rule broken, with its
    impact and what it asks, then each element at fault and why."""
    from axe_playwright_python.async_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    found = (await Axe().run(page, options=options)).response["violations"]
    return [
        f"{name}: {v['id']} ({v['impact']}): {v['help']}"
        + "".join(
            f"\n    at {n['target']}: {' '.join(n['failureSummary'].split())}" for n in v["nodes"]
        )
        for v in found
    ]
