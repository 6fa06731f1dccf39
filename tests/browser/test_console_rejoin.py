"""The console never enters a chat by itself: after a reload (or a new login in
the same browser) only the desk is joined again; the chat a supervisor watched
before stays closed until she opens it."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.pages import log_in_to_console, message, send
from tests.integration.client import presence_from
from tests.integration.desk_helpers import on_desk

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_a_reloaded_console_joins_the_desk_and_no_chat(
    stack, connect, desk, room, new_page
):
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie")
    visitor = await connect()
    await visitor.join(room, "Ivy")
    await jennie.join(room, "Jennie")

    page = await new_page()
    await log_in_to_console(page, stack, "john")
    await send(page, f"!supervise {room.split('@')[0]}", desk)
    await page.locator(".modal", has_text=room).get_by_role("button", name="Confirm").click()
    await jennie.expect(presence_from(f"{room}/John"), what="John entering the chat")
    await expect(
        message(page, "John is supervising this chat, hidden from the visitor", room)
    ).to_be_visible()

    mark = jennie.mark()
    await page.reload()
    # Back on the desk (Converse logs in again by itself)…
    await jennie.expect(presence_from(f"{desk}/John"), what="John back on the desk")
    occupants = page.locator(f"converse-muc-occupants[jid='{desk}']")
    await occupants.get_by_text("John", exact=True).wait_for()
    # …and the desk's history is in: whatever the console joins at start, it has
    # asked for by now. A ping through the room orders what Jennie has been sent.
    await jennie.iq(room, "<ping xmlns='urn:xmpp:ping'/>")
    back_in_chat = [s for s in jennie.since(mark) if presence_from(f"{room}/John")(s)]
    assert back_in_chat == [], "the console entered the chat again by itself"
    assert "John" not in visitor.raw
