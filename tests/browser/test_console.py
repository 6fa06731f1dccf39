"""The staff web console in a real browser: an agent logs in, sees a new chat on
the desk (which the console joined by itself), joins it and answers; the visitor
is a slixmpp client."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.pages import log_in_to_console, message, screenshot, send
from tests.integration.client import groupchat_from, presence_from
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

    # The question, from the visitor (Huddle also quotes it to the agent who took it).
    question = message(page, "My parcel never arrived", room).filter(has_text="Dave (visitor)")
    await expect(question).to_be_visible()
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


async def test_a_supervisor_watches_hidden_whispers_and_speaks_from_the_console(
    stack, connect, desk, room, new_page
):
    visitor = await connect()
    await visitor.join(room, "Fay")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    say(jennie, room, "Hello Fay")
    await visitor.expect(groupchat_from(f"{room}/Jennie", "Hello Fay"))

    page = await new_page()
    await log_in_to_console(page, stack, "john")
    # From the desk: ask for an invitation to supervise; Converse asks him to join.
    await send(page, f"!supervise {room.split('@')[0]}", desk)
    await page.locator(".modal", has_text=room).get_by_role("button", name="Confirm").click()
    # He can tell he is hidden: the room's service occupant says so.
    await expect(
        message(page, "John is supervising this chat, hidden from the visitor", room)
    ).to_contain_text("Huddle")

    await send(page, "!w she was charged twice", room)
    # Converse.js shows the XEP-0317 hat beside his name: hidden.
    await expect(message(page, "[whisper] she was charged twice", room)).to_contain_text(
        "Supervisor (hidden)"
    )
    await expect(message(page, "Only staff saw: “she was charged twice”", room)).to_be_visible()
    await jennie.expect(groupchat_from(f"{room}/John", "[whisper] she was charged twice"))

    await send(page, "Fay, I have refunded the second charge.", room)
    await visitor.expect(presence_from(f"{room}/John"), what="John's arrival")
    await visitor.expect(groupchat_from(f"{room}/John", "Fay, I have refunded the second charge."))
    assert "charged twice" not in visitor.raw and "Huddle" not in visitor.raw
    await screenshot(page, "console-supervisor")


async def test_staff_run_an_ad_hoc_command_from_the_console(stack, connect, desk, room, new_page):
    visitor = await connect()
    await visitor.join(room, "Gus")
    page = await new_page()
    await log_in_to_console(page, stack, "jennie")
    await page.locator(".modal", has_text=room).get_by_role("button", name="Cancel").click()
    # Settings → Commands → the service's address: Converse lists what she may run.
    await page.locator(".show-client-info").click()
    await page.locator("#commands-tab").click()
    commands = page.locator("converse-adhoc-commands")
    await commands.locator("input[name='jid']").fill(stack.info.service)
    await commands.locator("input[type='submit']").click()
    await commands.locator("[data-command-node='list-chats']").click()
    # The result: one read-only line per chat.
    chat_id = room.split("@")[0]
    row = commands.locator(".mb-3", has=page.locator(f"label:has-text('{chat_id}')"))
    await expect(row).to_contain_text("Status: waiting · Team: support · Visitor: “Gus”")
    await screenshot(page, "console-adhoc")
