"""What the browser tests do on a page: sign in, scan, and take a screenshot once every
control of the page has a name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.console.stack import CHROMIUM, Stack

__all__ = ["CHROMIUM", "DESK_SIZE", "PHONE_SIZE", "expect", "scan", "shot", "signed_in"]

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
