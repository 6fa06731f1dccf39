"""The end of a chat in the widget: she is told it ended, asked to rate it (1 to 5 stars
and a comment, the IQ of docs/visitor-protocol.md) and offered the transcript, as a
file written in her browser and, where the service emails transcripts and she gave
an address, by email. The rating and email requests run against the real component."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from playwright.async_api import Page, expect

from tests.browser.pages import chat_ended, message, saved_chat, screenshot, send
from tests.browser.test_widget import (
    WidgetChat,
    body,
    join_and_read_question,
    offered_room,
    open_chat,
)
from tests.integration.client import Client, groupchat_from, q
from tests.integration.desk_helpers import configured, desk_notice, say

pytestmark = [pytest.mark.browser, pytest.mark.integration]

NS_RATING = "urn:huddle:rating:0"
NS_TRANSCRIPT = "urn:huddle:transcript:0"
NS_INFO = "http://jabber.org/protocol/disco#info"


async def service_features(client: Client, service: str) -> set[str]:
    reply = await client.iq(service, f"<query xmlns='{NS_INFO}'/>")
    return {f.get("var", "") for f in reply.iter(q("feature", NS_INFO))}


async def needs(client: Client, service: str, feature: str) -> None:
    if feature not in await service_features(client, service):
        pytest.skip(f"the support service does not offer {feature} yet (docs/visitor-protocol.md)")


async def end(chat: WidgetChat) -> None:
    """Jennie closes the chat; the widget shows its end."""
    say(chat.agent, chat.room, "!close solved")
    await expect(chat_ended(chat.page)).to_be_visible()


async def downloaded_transcript(page: Page, button) -> str:
    async with page.expect_download() as info:
        await button.click()
    download = await info.value
    assert download.suggested_filename.startswith("chat-transcript-")
    assert download.suggested_filename.endswith(".txt")
    return Path(await download.path()).read_text(encoding="utf-8")


async def test_when_the_chat_ends_she_rates_it_and_staff_read_it(stack, connect, desk, new_page):
    chat = await open_chat(stack, connect, desk, new_page)
    await needs(chat.agent, stack.info.service, NS_RATING)
    page = chat.page
    say(chat.agent, chat.room, "It left our warehouse this morning.")
    await expect(message(page, "It left our warehouse this morning.")).to_be_visible()

    await end(chat)
    ended = chat_ended(page)
    await expect(ended).to_contain_text("This chat has ended. Thank you for contacting us!")
    await expect(ended.get_by_role("button", name="Send rating")).to_be_visible()
    shown = (await page.locator(".huddle-widget").inner_text()).lower()
    assert "groupchat" not in shown and "no longer exists" not in shown
    await screenshot(page, "widget-ended")

    # A reload keeps the end (the page logs in only when she sends the rating).
    await page.reload()
    await expect(ended).to_contain_text("This chat has ended. Thank you for contacting us!")
    await ended.get_by_label("4 of 5").check()
    await ended.get_by_label("Anything to add?").fill("Quick and kind")
    await ended.get_by_role("button", name="Send rating").click()
    await expect(ended.get_by_role("status")).to_have_text("Thank you for your rating!")
    await expect(ended.get_by_role("button", name="Send rating")).to_be_hidden()
    announced = await chat.agent.expect(desk_notice(desk, "rated the chat"))
    assert "visitor “Mia” rated the chat 4/5: “Quick and kind”" in body(announced)
    await screenshot(page, "widget-rated")

    # Rated: another reload does not ask again.
    await page.reload()
    await expect(ended).to_contain_text("This chat has ended.")
    await expect(ended.get_by_role("status")).to_have_text("Thank you for your rating!")
    await expect(ended.get_by_role("button", name="Send rating")).to_be_hidden()


async def test_after_the_end_she_starts_a_new_chat_in_the_same_tab(stack, connect, desk, new_page):
    chat = await open_chat(stack, connect, desk, new_page)
    await end(chat)
    first = (await saved_chat(chat.page))["room"]
    await chat_ended(chat.page).get_by_role("button", name="Start a new chat").click()
    form = chat.page.locator(".huddle-form")
    await expect(form).to_be_visible()
    await expect(form.locator("input[name=name]")).to_have_value("")
    await form.locator("input[name=name]").fill("Mia")
    await form.locator("textarea[name=question]").fill("One more thing")
    await form.get_by_role("button", name="Start chat").click()
    room = await offered_room(chat.agent)
    assert room != first
    await join_and_read_question(chat.agent, room, f"{room}/Mia (visitor)", "One more thing")
    say(chat.agent, room, "Sure, go on.")
    await expect(message(chat.page, "Sure, go on.")).to_be_visible()
    await expect(message(chat.page, "Where is my parcel?")).to_have_count(0)


async def test_a_refused_rating_shows_the_services_words(stack, connect, desk, new_page):
    """Rated already (here by another visitor session that knew the chat's id): the
    widget shows what the service said, as text, and stops asking."""
    chat = await open_chat(stack, connect, desk, new_page)
    await needs(chat.agent, stack.info.service, NS_RATING)
    await end(chat)
    other = await connect()
    chat_id = chat.room.split("@")[0]
    payload = f"<rating xmlns='{NS_RATING}' chat={quoteattr(chat_id)} score='2'/>"
    assert (await other.iq(stack.info.service, payload, "set")).get("type") == "result"

    ended = chat_ended(chat.page)
    await ended.get_by_label("5 of 5").check()
    await ended.get_by_role("button", name="Send rating").click()
    await expect(ended.get_by_role("status")).to_contain_text("rated already")
    await expect(ended.get_by_role("button", name="Send rating")).to_be_hidden()
    await screenshot(chat.page, "widget-rating-refused")


async def test_she_downloads_the_transcript_she_saw(stack, connect, desk, new_page):
    # Her name and the staff's words are text, in the file as on the page.
    chat = await open_chat(
        stack, connect, desk, new_page, name="Mia <b>", question="Where is my parcel?"
    )
    page = chat.page
    say(chat.agent, chat.room, escape("It left today & arrives <soon>."))
    await expect(message(page, "It left today & arrives <soon>.")).to_be_visible()
    await send(page, "Thanks!\nSee you.")
    await chat.agent.expect(groupchat_from(chat.visitor, "Thanks!\nSee you."))

    # During the chat, from the panel's header…
    header_button = page.get_by_role("button", name="Download transcript")
    during = await downloaded_transcript(page, header_button)
    assert "Mia <b>: Where is my parcel?" in during
    assert "Jennie: It left today & arrives <soon>." in during
    assert "Mia <b>: Thanks!\n    See you." in during
    assert "Welcome!" in during and "Jennie joined the chat." in during
    assert "(visitor)" not in during

    # …and once it has ended, from the end panel, with the last notice too.
    await end(chat)
    after = await downloaded_transcript(
        page, chat_ended(page).get_by_role("button", name="Download transcript")
    )
    assert after.startswith("Chat with us: transcript\nMia <b>, ")
    assert during.splitlines()[3:] == after.splitlines()[3 : len(during.splitlines())]
    assert "This chat has ended. Thank you for contacting us!" in after
    lines = after.splitlines()
    order = [
        next(i for i, line in enumerate(lines) if text in line)
        for text in ("Welcome!", "Where is my parcel?", "It left today", "Thanks!", "has ended")
    ]
    assert order == sorted(order)


async def test_a_chat_that_ended_while_she_was_away_still_ends_properly(
    stack, connect, desk, new_page
):
    """Closed while her page was elsewhere: back in the widget she gets the end,
    the rating and the transcript her last page kept."""
    chat = await open_chat(stack, connect, desk, new_page)
    page = chat.page
    say(chat.agent, chat.room, "Anything else?")
    await expect(message(page, "Anything else?")).to_be_visible()
    await page.goto("about:blank")
    say(chat.agent, chat.room, "!close")
    await chat.agent.expect(desk_notice(desk, "closed by Jennie"))

    await page.goto(stack.info.widget_url)
    ended = chat_ended(page)
    await expect(ended).to_contain_text("This chat has ended.")
    await expect(ended.get_by_role("button", name="Send rating")).to_be_visible()
    download = ended.get_by_role("button", name="Download transcript")
    text = await downloaded_transcript(page, download)
    assert "Jennie: Anything else?" in text

    # "Start a new chat" goes back to the form.
    await ended.get_by_role("button", name="Start a new chat").click()
    await expect(page.locator(".huddle-form")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('huddle-chat')") is None


class Inbox:
    """An SMTP server's handler (aiosmtpd) that keeps what it is given."""

    def __init__(self) -> None:
        self.mails: asyncio.Queue = asyncio.Queue()

    async def handle_DATA(self, server, session, envelope) -> str:
        await self.mails.put(envelope)
        return "250 OK"


@pytest.fixture
async def smtp_inbox(stack) -> AsyncIterator[Inbox]:
    """The service emails transcripts, through a real SMTP server of the test's own."""
    smtp_module = pytest.importorskip("aiosmtpd.smtp")
    config = pytest.importorskip("component.config")
    if not hasattr(config, "Smtp"):
        pytest.skip("the component has no [smtp] setting yet")
    inbox = Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: smtp_module.SMTP(inbox, hostname="mail.test"), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    smtp = config.Smtp("127.0.0.1", "support@example.org", port=port, starttls=False, timeout=10.0)
    with configured(stack, smtp=smtp):
        yield inbox
    server.close()
    await server.wait_closed()


async def test_she_has_the_transcript_emailed_where_the_service_offers_it(
    stack, connect, desk, new_page, smtp_inbox
):
    chat = await open_chat(stack, connect, desk, new_page, email="mia@example.com")
    await needs(chat.agent, stack.info.service, NS_TRANSCRIPT)
    say(chat.agent, chat.room, "Here is your answer.")
    await expect(message(chat.page, "Here is your answer.")).to_be_visible()
    await end(chat)
    ended = chat_ended(chat.page)
    await ended.get_by_role("button", name="Email me the transcript").click()
    await expect(ended.get_by_role("status").last).to_have_text(
        "We have sent the transcript to mia@example.com."
    )
    envelope = await asyncio.wait_for(smtp_inbox.mails.get(), 10)
    assert envelope.rcpt_tos == ["mia@example.com"]
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert "Here is your answer." in mail.get_body(("plain",)).get_content()
    await screenshot(chat.page, "widget-transcript-emailed")


async def test_no_email_button_without_an_address_or_the_service(stack, connect, desk, new_page):
    # The service emails no transcripts ([smtp] unset): no button, even with an address.
    chat = await open_chat(stack, connect, desk, new_page, email="mia@example.com")
    if NS_TRANSCRIPT in await service_features(chat.agent, stack.info.service):
        pytest.skip("this service emails transcripts: the test needs one that does not")
    await end(chat)
    ended = chat_ended(chat.page)
    await expect(ended.get_by_role("button", name="Download transcript")).to_be_visible()
    await expect(ended.get_by_role("button", name="Email me the transcript")).to_be_hidden()


async def test_no_email_button_for_a_visitor_who_gave_no_address(
    stack, connect, desk, new_page, smtp_inbox
):
    chat = await open_chat(stack, connect, desk, new_page)
    await needs(chat.agent, stack.info.service, NS_TRANSCRIPT)
    await end(chat)
    ended = chat_ended(chat.page)
    await expect(ended.get_by_role("button", name="Download transcript")).to_be_visible()
    await expect(ended.get_by_role("button", name="Email me the transcript")).to_be_hidden()
