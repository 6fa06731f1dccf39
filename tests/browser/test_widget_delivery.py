"""What became of each message the visitor sent: "sending…" until the room reflects
it, "not delivered — retry" when it never does or the server bounces it, and a retry
that sends it again. Before, a message the room never took showed as sent, and one
lost with a reload or a dropped connection vanished without a word."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from playwright.async_api import expect
from slixmpp import Message

from component.app import Huddle
from component.dev.stack import DevStack
from tests.browser.pages import delivery, message, screenshot, send
from tests.browser.test_widget import open_chat
from tests.integration.client import Client, groupchat_from
from tests.integration.desk_helpers import say

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# huddle-delivery.js gives up on a reflection after 10 s.
GIVES_UP_MS = 10_000
# A generous bound on "at once", for a loaded two-core machine.
SOON_MS = 8_000


@contextlib.contextmanager
def deaf_to(stack: DevStack, room: str) -> Iterator[None]:
    """The component silently loses every message to ``room`` (as if it hung, or
    died after Prosody had passed the message on), until the block ends."""
    huddle = stack.huddle
    assert huddle is not None

    def lose(stanza):
        if isinstance(stanza, Message) and stanza["to"].bare == room:
            return None
        return stanza

    huddle.xmpp.add_filter("in", lose)
    try:
        yield
    finally:
        huddle.xmpp.del_filter("in", lose)


async def test_a_message_the_room_never_reflects_is_not_delivered_and_can_be_retried(
    stack, connect, desk, new_page
):
    chat = await open_chat(stack, connect, desk, new_page)
    page = chat.page
    await send(page, "First, this one arrives.")
    await chat.agent.expect(groupchat_from(chat.visitor, "First, this one arrives."))
    await expect(message(page, "First, this one arrives.")).to_be_visible()
    await expect(delivery(page, "First, this one arrives.")).to_have_count(0)

    with deaf_to(stack, chat.room):
        await send(page, "Are you still there?")
        await expect(delivery(page, "Are you still there?")).to_have_text("sending…")
        await screenshot(page, "widget-delivery-sending")
        await expect(delivery(page, "Are you still there?")).to_contain_text(
            "not delivered", timeout=GIVES_UP_MS + SOON_MS
        )
    await screenshot(page, "widget-delivery-failed")

    mark = chat.agent.mark()
    await delivery(page, "Are you still there?").get_by_role("button", name="retry").click()
    await chat.agent.expect(groupchat_from(chat.visitor, "Are you still there?"))
    await expect(delivery(page, "Are you still there?")).to_have_count(0)
    # Sent once more, and shown once.
    assert len([s for s in chat.agent.since(mark) if groupchat_from(chat.visitor)(s)]) == 1
    await expect(message(page, "Are you still there?")).to_have_count(1)


async def test_an_undelivered_message_survives_a_reload(stack, connect, desk, new_page):
    """A new page is a new anonymous session, which gets only the room's history:
    the widget's record brings back what the room never took, as not delivered."""
    chat = await open_chat(stack, connect, desk, new_page)
    page = chat.page
    with deaf_to(stack, chat.room):
        await send(page, "Lost in the post?")
        await expect(delivery(page, "Lost in the post?")).to_have_text("sending…")
        await page.reload()
        await expect(message(page, "Where is my parcel?")).to_be_visible()
        await expect(delivery(page, "Lost in the post?")).to_contain_text("not delivered")
    await delivery(page, "Lost in the post?").get_by_role("button", name="retry").click()
    await chat.agent.expect(groupchat_from(chat.visitor, "Lost in the post?"))
    await expect(delivery(page, "Lost in the post?")).to_have_count(0)

    # Once delivered, it is the room's history that shows it after a reload.
    say(chat.agent, chat.room, "Got it.")
    await expect(message(page, "Got it.")).to_be_visible()
    await page.reload()
    await expect(message(page, "Got it.")).to_be_visible()
    await expect(message(page, "Lost in the post?")).to_have_count(1)
    await expect(delivery(page, "Lost in the post?")).to_have_count(0)


async def test_messages_bounced_while_the_component_is_down_are_not_delivered(tmp_path, new_page):
    """The component killed mid-chat: Prosody bounces what the visitor sends. She
    sees that at once, and once the component is back a retry gets it through."""
    async with DevStack(tmp_path / "dev") as stack:
        info = stack.info
        account = next(a for a in info.accounts if a.jid.startswith("jennie@"))
        jennie = await Client.login(
            info.c2s_host, info.c2s_port, account.jid, account.password, "browser-test"
        )
        restarted: Huddle | None = None
        try:

            async def connect(user=None):
                return jennie

            chat = await open_chat(stack, connect, info.desk, new_page)
            page = chat.page
            huddle = stack.huddle
            assert huddle is not None
            await huddle.stop()

            await send(page, "Hello? Anyone?")
            await expect(delivery(page, "Hello? Anyone?")).to_contain_text(
                "not delivered", timeout=SOON_MS
            )
            # Converse's own error text ("Message delivery failed. Component
            # unavailable") is not for visitors.
            shown = await message(page, "Hello? Anyone?").inner_text()
            assert "Component" not in shown and "failed" not in shown

            restarted = Huddle(stack.config)
            await restarted.start()
            await restarted.live.wait()
            await delivery(page, "Hello? Anyone?").get_by_role("button", name="retry").click()
            await jennie.expect(groupchat_from(chat.visitor, "Hello? Anyone?"), timeout=20)
            await expect(delivery(page, "Hello? Anyone?")).to_have_count(0)
        finally:
            await jennie.close()
            if restarted is not None:
                await restarted.stop()
