"""The visitor widget in a real browser: the pre-chat form, the chat with an agent,
the visitor's details reaching staff, a reload, and a supervisor the visitor never sees
until he speaks. Staff are slixmpp clients; the visitor is Converse.js in Chromium."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree as ET

import pytest
from playwright.async_api import Page, expect

from tests.browser.pages import message, saved_chat, screenshot, send, start_chat, widget_chat
from tests.integration.client import Client, groupchat_from, presence_from, q
from tests.integration.desk_helpers import (
    NS_CONFERENCE,
    desk_notice,
    on_desk,
    room_notice,
    say,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def body(stanza: ET.Element) -> str:
    element = stanza.find(q("body"))
    return (element.text or "") if element is not None else ""


async def offered_room(agent: Client) -> str:
    """The room of the chat the desk offers ``agent`` (XEP-0249 invitation)."""
    invitation = await agent.expect(
        lambda s: s.tag == q("message") and s.find(q("x", NS_CONFERENCE)) is not None,
        what="an invitation to a chat",
    )
    return invitation.find(q("x", NS_CONFERENCE)).get("jid")


async def join_and_read_question(agent: Client, room: str, visitor: str, question: str) -> None:
    """``agent`` joins ``room`` and gets the visitor's question: in the history the join
    brings if the widget asked it first, else live, just after."""
    joined = await agent.join(room, "Jennie")
    if not any(groupchat_from(visitor, question)(s) for s in joined):
        await agent.expect(groupchat_from(visitor, question), what="the visitor's question")


@dataclass
class WidgetChat:
    """A chat opened through the widget and answered by Jennie."""

    page: Page
    agent: Client
    room: str

    @property
    def visitor(self) -> str:
        """The visitor's address in the room, as staff see it."""
        return f"{self.room}/{self.name} (visitor)"

    name: str = "Mia"


async def open_chat(
    stack,
    connect,
    desk,
    new_page,
    name: str = "Mia",
    question: str = "Where is my parcel?",
    email: str = "",
    page: Page | None = None,
) -> WidgetChat:
    """A visitor starts a chat in the widget; Jennie, on the desk, joins it and reads
    the question. ``page``: a page of the test's own, e.g. with a phone's viewport."""
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie")
    page = page or await new_page()
    await start_chat(page, stack.info.widget_url, name, question, email=email)
    room = await offered_room(jennie)
    chat = WidgetChat(page, jennie, room, name)
    await join_and_read_question(jennie, room, chat.visitor, question)
    return chat


async def test_visitor_chats_with_an_agent_through_the_widget(stack, connect, desk, new_page):
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie")
    page = await new_page()
    await start_chat(
        page,
        stack.info.widget_url,
        "Alice Example",
        "Where is my refund?",
        email="alice@example.com",
    )

    # The details came with the join presence: the first announcement has them.
    announced = body(await jennie.expect(desk_notice(desk, "New chat")))
    assert "from visitor “Alice Example”, email “alice@example.com”" in announced
    assert f"on “{stack.info.widget_url}”" in announced
    room = await offered_room(jennie)
    assert f"xmpp:{room}?join" in announced
    # The room is the widget's own: chat-<128 random bits, hex>, kept for the tab.
    assert re.fullmatch(rf"chat-[0-9a-f]{{32}}@{re.escape(stack.info.service)}", room)
    assert (await saved_chat(page))["room"] == room

    visitor = f"{room}/Alice Example (visitor)"
    # The question is the visitor's first message.
    await join_and_read_question(jennie, room, visitor, "Where is my refund?")
    say(jennie, room, "Hello Alice, let me look that up.")
    await expect(message(page, "Hello Alice, let me look that up.")).to_contain_text("Jennie")

    await send(page, "Thank you!")
    await jennie.expect(groupchat_from(visitor, "Thank you!"))
    say(jennie, room, "!info")
    info = body(await jennie.expect(room_notice(room, "Browser:")))
    assert "Chrome" in info and "alice@example.com" in info
    await screenshot(page, "widget-chat-with-agent")

    # A reload is a new anonymous login that rejoins the same chat, without
    # asking the question again.
    mark = jennie.mark()
    await page.reload()
    await jennie.expect(presence_from(visitor), what="the visitor back after the reload")
    say(jennie, room, "Still with me?")
    await expect(message(page, "Still with me?")).to_be_visible()
    assert (await saved_chat(page))["room"] == room
    assert not [s for s in jennie.since(mark) if body(s) == "Where is my refund?"]


async def test_a_hidden_supervisor_leaves_no_trace_until_he_speaks(stack, connect, desk, new_page):
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie")
    page = await new_page()
    await start_chat(page, stack.info.widget_url, "Carol", "Can I get a refund?")
    room = await offered_room(jennie)
    await jennie.join(room, "Jennie")

    john = await connect("john")
    await john.join(room, "John")
    await jennie.expect(room_notice(room, "John is supervising"))
    # Everything the room sent the visitor before this message has been shown by
    # the time the message is: from here on, the page would show John if it ever will.
    say(jennie, room, "One moment, please.")
    await expect(message(page, "One moment, please.")).to_be_visible()
    assert "John" not in await widget_chat(page).inner_text()
    assert "John" not in await page.content()
    await screenshot(page, "widget-supervisor-hidden")

    say(john, room, "Your refund was sent today.")
    await expect(message(page, "Your refund was sent today.")).to_contain_text("John")
    # In her words: Converse's own notice would say "John has entered the groupchat".
    await expect(widget_chat(page)).to_contain_text("John joined the chat.")
    await screenshot(page, "widget-supervisor-spoke")


@pytest.fixture
def shop_site() -> Iterator[Callable[[str], str]]:
    """``shop_site(html)``: a web site of its own, on another origin than the chat
    server, serving ``html`` at every path; returns the site's address.

    A real server on loopback rather than a page made up by Playwright: Chromium
    lets only a loopback (or secure) page load scripts from a loopback server."""
    pages: list[bytes] = []

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(pages[-1])

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(html: str) -> str:
        pages.append(html.encode())
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    server.shutdown()
    server.server_close()


async def test_one_script_tag_embeds_the_widget_on_another_site(
    stack, connect, desk, new_page, shop_site
):
    """A shop's page on its own origin, with the widget from the chat server: its
    scripts, styles and Converse.js load across origins, and the settings work."""
    info = stack.info
    tag = (
        f'<script src="{info.widget_url}huddle-widget.js" async'
        f' data-websocket="{info.websocket_url}" data-domain="{info.visitor_domain}"'
        f' data-service="{info.service}" data-title="Ask the shop"></script>'
    )
    shop_page = shop_site(f"<!doctype html><title>Shop</title><h1>Blue teapot</h1>{tag}")
    shop_page += "/products/42"
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie")

    page = await new_page()
    await page.goto(shop_page)
    await expect(page.locator(".huddle-launcher")).to_have_text("Ask the shop")
    await page.click(".huddle-launcher")
    await page.fill(".huddle-form input[name=name]", "Frank")
    await page.fill(".huddle-form textarea[name=question]", "Is it dishwasher safe?")
    await page.click(".huddle-form button[type=submit]")

    announced = body(await jennie.expect(desk_notice(desk, "New chat")))
    assert f"from visitor “Frank” (team support), waiting 0:00, on “{shop_page}” " in announced
    room = await offered_room(jennie)
    await join_and_read_question(jennie, room, f"{room}/Frank (visitor)", "Is it dishwasher safe?")
    say(jennie, room, "It is.")
    await expect(message(page, "It is.")).to_be_visible()
    await screenshot(page, "widget-embedded-on-another-site")
