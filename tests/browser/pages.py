"""What a person does on the widget and console pages, in Playwright terms.

Selectors are Converse.js 14's custom elements and our own widget markup; when a
Converse upgrade renames one, this is the one file to change.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.async_api import Locator, Page

from component.dev.stack import DevStack

# Where CI keeps what tests leave behind (.gitignore'd).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


async def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as ``test-artifacts/browser/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    await page.screenshot(path=path, full_page=True)
    return path


async def start_chat(page: Page, url: str, name: str, question: str, email: str = "") -> None:
    """Open the widget on ``url``, fill in the pre-chat form and start the chat."""
    await page.goto(url)
    await page.click(".huddle-launcher")
    await page.fill(".huddle-form input[name=name]", name)
    await page.fill(".huddle-form input[name=email]", email)
    await page.fill(".huddle-form textarea[name=question]", question)
    await page.click(".huddle-form button[type=submit]")


async def saved_chat(page: Page) -> dict:
    """The widget's record of the chat in sessionStorage."""
    return json.loads(await page.evaluate("sessionStorage.getItem('huddle-chat')"))


def widget_chat(page: Page) -> Locator:
    """The part of the widget where Converse shows the chat."""
    return page.locator(".huddle-chat")


def message(page: Page, text: str, room: str = "") -> Locator:
    """A chat message (Converse renders each as a converse-chat-message) showing ``text``."""
    scope = page.locator(f"converse-muc[jid='{room}']") if room else page
    return scope.locator("converse-chat-message", has_text=text)


async def send(page: Page, text: str, room: str = "") -> None:
    """Type ``text`` in the room's message box and press Enter, as a person would."""
    scope = page.locator(f"converse-muc[jid='{room}']") if room else page
    box = scope.locator("textarea.chat-textarea")
    await box.fill(text)
    await box.press("Enter")


async def log_in_to_console(page: Page, stack: DevStack, user: str) -> None:
    """Log in to the staff console with the demo account ``user`` (e.g. "jennie"),
    returning once the desk, which the console joins by itself, lists them."""
    account = next(a for a in stack.info.accounts if a.jid.startswith(f"{user}@"))
    await page.goto(stack.info.console_url)
    # The console's default domain is the staff domain: the bare user name is enough.
    await page.fill("#converse-login-jid", user)
    await page.fill("#converse-login-password", account.password)
    await page.get_by_role("button", name="Log in").click()
    occupants = page.locator(f"converse-muc-occupants[jid='{stack.info.desk}']")
    await occupants.get_by_text(account.name, exact=True).wait_for()


async def log_in_with(page: Page, url: str, user: str, password: str) -> None:
    """Fill in and send the console's login form (for an account that is not a demo one)."""
    await page.goto(url)
    await page.fill("#converse-login-jid", user)
    await page.fill("#converse-login-password", password)
    await page.get_by_role("button", name="Log in").click()


def floor(page: Page) -> Locator:
    """The console's live dashboard panel (huddle-dashboard.js)."""
    return page.locator("huddle-floor")


async def open_floor(page: Page) -> Locator:
    """Click "Floor" at the top of the control box; returns the panel, once shown."""
    await page.locator(".huddle-floor-toggle__button").click()
    panel = floor(page)
    await panel.locator(".huddle-floor__panel").wait_for()
    return panel


def floor_row(page: Page, section: str, room: str) -> Locator:
    """The dashboard's row for the chat in ``room`` in ``section``: "queue" or "active"."""
    return floor(page).locator(f"[data-section='{section}'] tr[data-room='{room}']")


def delivery(page: Page, text: str) -> Locator:
    """What the widget says of the visitor's message ``text``: "sending…", or
    "not delivered — retry" (huddle-delivery.js); nothing once the room has it."""
    return message(page, text).locator(".huddle-delivery")


def chat_ended(page: Page) -> Locator:
    """The widget's panel once the chat has ended: rating and transcript."""
    return page.locator(".huddle-ended")
