"""Browser tests: Debian's Chromium, headless, driven by Playwright, against the dev stack.

The stack comes from the integration tests' fixtures (a real Prosody serving the
widget and console pages, the real component); pages are fresh per test, so each
starts with empty sessionStorage, as a new browser tab would.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright

from component.dev.web import CONVERSE_DIST
from tests.browser.pages import screenshot
from tests.integration.conftest import connect, desk, room, stack

__all__ = ["connect", "desk", "room", "stack"]

CHROMIUM = os.environ.get("HUDDLE_CHROMIUM", "/usr/bin/chromium")
# No GPU, no sandbox (we run as root), and no calls home: this machine's network
# refuses them, many at a time, and they slow every start.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 15_000


def missing_requirement() -> str | None:
    if shutil.which(CHROMIUM) is None:
        return f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)"
    if not (CONVERSE_DIST / "converse.min.js").is_file():
        return (
            f"Converse.js not installed in {CONVERSE_DIST.parents[1]} "
            "(scripts/setup.sh installs it with Node.js's npm ci)"
        )
    return None


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    problem = missing_requirement()
    if problem:
        # On a developer's machine a missing browser is a skip; in CI, where
        # scripts/setup.sh installs it, it is a broken set-up and must fail.
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run: {problem}")
        pytest.skip(problem)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def new_page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator:
    """``await new_page()``: a page in its own context (own storage, own cookies).

    Every page's last state is saved as a screenshot when the test ends, and the
    page's JavaScript errors are printed, so a failure in CI can be looked at.
    """
    contexts = []

    async def open_page() -> Page:
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(DEFAULT_TIMEOUT_MS)
        page.on("pageerror", lambda error: print(f"page error: {error}"))
        return page

    yield open_page
    for index, context in enumerate(contexts):
        for page in context.pages:
            await screenshot(page, f"{request.node.name}-end-{index}")
        await context.close()
