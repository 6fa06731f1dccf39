"""The staff web console in a real browser: an agent logs in, sees a new chat on
the desk (which the console joined by itself), joins it and answers; the visitor
is a slixmpp client."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.pages import log_in_to_console, message, screenshot, send
from tests.integration.client import groupchat_from
from tests.integration.desk_helpers import say

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_an_agent_takes_a_chat_from_the_desk_in_the_console(
    stack, connect, desk, room, new_page
):
    page = await new_page()
    await log_in_to_console(page, stack, "jennie")
    chat_id = room.split("@")[0].removeprefix("chat-")

    visitor = await connect()
    await visitor.join(room, "Dave")
    say(visitor, room, "My parcel never arrived")
    # Announced on the desk, with the link to join...
    announcement = page.locator(
        f"converse-muc[jid='{desk}'] .chat-msg", has_text=f"New chat [{chat_id[:8]}]"
    )
    await expect(announcement.locator(f"a[href='xmpp:{room}?join']")).to_be_visible()
    # ...and offered to Jennie, the one available agent of the team: Converse asks her.
    offer = page.locator(".modal", has_text=room)
    await offer.get_by_role("button", name="Confirm").click()

    await expect(message(page, "My parcel never arrived", room)).to_contain_text("Dave (visitor)")
    await send(page, "Hello Dave, I am on it.", room)
    await visitor.expect(groupchat_from(f"{room}/Jennie", "Hello Dave, I am on it."))
    await screenshot(page, "console-chat")


async def test_a_desk_link_opens_the_chat_in_the_console(stack, connect, desk, room, new_page):
    page = await new_page()
    await log_in_to_console(page, stack, "jennie")
    visitor = await connect()
    await visitor.join(room, "Erin")
    # Jennie lets the offer pass and picks the chat from the desk instead.
    await page.locator(".modal", has_text=room).get_by_role("button", name="Cancel").click()
    await page.locator(f"converse-muc[jid='{desk}'] a[href='xmpp:{room}?join']").click()

    await send(page, "Hi Erin, how can I help?", room)
    await visitor.expect(groupchat_from(f"{room}/Jennie", "Hi Erin, how can I help?"))
