"""The staff console's live dashboard ("Floor") in a real browser, fed by the real
floor feed (docs/floor-feed.md): a supervisor watches a chat go from the queue to
an agent, sees who watches it hidden, and supervises or takes over a chat with one
click. Visitors, agents and the other supervisor are slixmpp clients."""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from playwright.async_api import WebSocketRoute, expect

from tests.browser.pages import (
    floor,
    floor_row,
    log_in_to_console,
    log_in_with,
    message,
    open_floor,
    screenshot,
)
from tests.integration.desk_helpers import say

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# The feed publishes within half a second of a change; the page then renders it.
# "Within a second", with room for a busy two-core machine.
AT_ONCE_MS = 1_500
# A made-up floor with every kind of row and alert, and a visitor's name and
# question that would run script if they were ever rendered as HTML.
FIXTURE = Path(__file__).with_name("floor-snapshot.json")


async def test_a_supervisor_watches_a_chat_go_from_the_queue_to_an_agent(
    stack, connect, desk, room, new_page
):
    page = await new_page()
    await log_in_to_console(page, stack, "john")
    panel = await open_floor(page)
    await expect(panel.locator(".huddle-floor__state")).to_have_text("Live")
    await expect(panel.locator("[data-section='queue']")).to_contain_text("Nobody is waiting")

    mia = await connect()
    await mia.join(room, "Mia")
    queued = floor_row(page, "queue", room)
    await expect(queued).to_be_visible(timeout=AT_ONCE_MS)
    await expect(queued.locator(".huddle-floor__visitor")).to_have_text("Mia")
    await expect(queued.locator(".huddle-floor__place")).to_have_text("1")
    say(mia, room, "Where is my parcel?")
    await expect(queued.locator("td[data-label='First message']")).to_have_text(
        "Where is my parcel?", timeout=AT_ONCE_MS
    )
    # The waiting time ticks in the page, between snapshots.
    waiting = queued.locator("td[data-label='Waiting']")
    await expect(waiting).to_have_text(re.compile(r"^\s*\d+:\d\d\s*$"))
    before = await waiting.inner_text()
    await expect(waiting).not_to_have_text(before, timeout=3_000)
    # The Floor button counts the queue.
    await expect(page.locator(".huddle-floor-badge--queue")).to_have_text("1 waiting")

    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    say(jennie, room, "Hello Mia, let me look.")
    active = floor_row(page, "active", room)
    await expect(active.locator(".huddle-floor__agent")).to_have_text("Jennie", timeout=AT_ONCE_MS)
    await expect(active.locator("td[data-label='Visitor waiting']")).to_have_text("answered")
    await expect(queued).to_have_count(0)
    await expect(panel.locator("[data-agent^='jennie@'] td[data-label='Chats']")).to_contain_text(
        "1 /"
    )

    # John again, from another client: on the floor, he watches hidden.
    john = await connect("john")
    await john.join(room, "John")
    await expect(active.locator(".huddle-floor__hidden")).to_have_text("John", timeout=AT_ONCE_MS)
    say(mia, room, "Thanks!")
    await expect(active.locator("td[data-label='Visitor waiting']")).to_have_text(
        re.compile(r"^\s*\d+:\d\d\s*$"), timeout=AT_ONCE_MS
    )

    await page.set_viewport_size({"width": 1280, "height": 1000})
    await screenshot(page, "dashboard-floor")
    # A phone: the sections stack, the rows become cards; the buttons still work.
    await page.set_viewport_size({"width": 390, "height": 844})
    await expect(active.get_by_role("button", name="Supervise")).to_be_in_viewport()
    await screenshot(page, "dashboard-narrow")


async def test_supervise_opens_the_chat_in_the_console_hidden(stack, connect, desk, room, new_page):
    fay = await connect()
    await fay.join(room, "Fay")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    say(jennie, room, "Hello Fay")

    page = await new_page()
    await log_in_to_console(page, stack, "john")
    # The address opens the dashboard directly, also as the page loads (a reload
    # logs back in by itself).
    await page.goto(f"{stack.info.console_url}#floor")
    await page.reload()
    await expect(floor(page)).to_be_visible()
    row = floor_row(page, "active", room)
    await expect(row.locator(".huddle-floor__agent")).to_have_text("Jennie")
    await row.get_by_role("button", name="Supervise").click()

    # The chat, in this same console: the dashboard made way, and he is hidden.
    await expect(floor(page)).to_be_hidden()
    await expect(
        message(page, "John is supervising this chat, hidden from the visitor", room)
    ).to_be_visible()
    assert not page.url.endswith("#floor")
    await screenshot(page, "dashboard-supervise")

    # Back to the floor: he is among the hidden watchers of the chat.
    panel = await open_floor(page)
    await expect(row.locator(".huddle-floor__hidden")).to_have_text("John")
    await expect(panel).to_be_visible()


async def test_take_over_opens_a_waiting_chat_and_takes_it(stack, connect, desk, room, new_page):
    page = await new_page()
    await log_in_to_console(page, stack, "john")
    gus = await connect()
    await gus.join(room, "Gus")
    say(gus, room, "Can someone help?")
    await open_floor(page)
    await floor_row(page, "queue", room).get_by_role("button", name="Take over").click()

    # "!take" was sent in the room once he was in: the chat is his.
    await expect(message(page, "John took over this chat.", room)).to_be_visible()
    panel = await open_floor(page)
    active = floor_row(page, "active", room)
    await expect(active.locator(".huddle-floor__agent")).to_have_text("John")
    await expect(floor_row(page, "queue", room)).to_have_count(0)
    await expect(panel).to_be_visible()


async def test_an_offer_shows_over_the_dashboard_and_accepting_it_opens_the_chat(
    stack, connect, desk, room, new_page
):
    page = await new_page()
    await log_in_to_console(page, stack, "jennie")
    await open_floor(page)
    hal = await connect()
    await hal.join(room, "Hal")
    await expect(floor_row(page, "queue", room)).to_be_visible()
    # Converse's question is above the panel, and answering it shows the chat.
    await page.locator(".modal", has_text=room).get_by_role("button", name="Confirm").click()
    await expect(floor(page)).to_be_hidden()
    say(hal, room, "Hello?")
    await expect(message(page, "Hello?", room)).to_be_visible()


async def test_an_account_not_on_the_staff_is_told_why_instead_of_a_dashboard(
    stack, desk, new_page
):
    user, password = f"outsider{secrets.token_hex(3)}", secrets.token_urlsafe(9)
    await stack.prosody.register(user, stack.info.staff_domain, password)
    page = await new_page()
    await log_in_with(page, stack.info.console_url, user, password)
    panel = await open_floor(page)
    refused = panel.locator(".huddle-floor__message--refused")
    await expect(refused).to_contain_text("for Huddle staff only")
    await expect(refused).to_contain_text(f"{user}@{stack.info.staff_domain}")
    await expect(panel.locator("[data-section]")).to_have_count(0)
    await screenshot(page, "dashboard-refused")


def fixture_snapshot() -> dict:
    """The fixture floor, its times moved so that it was taken just now."""
    snapshot = json.loads(FIXTURE.read_text())
    shift = time.time() - snapshot["now"]
    snapshot["now"] += shift
    times = ("created", "assigned_at", "answered", "last_activity", "waiting_since")
    for row in snapshot["queue"] + snapshot["active"]:
        for key in times:
            if isinstance(row.get(key), float):
                row[key] += shift
    for agent in snapshot["agents"]:
        if isinstance(agent["idle_since"], float):
            agent["idle_since"] += shift
    for alert in snapshot["alerts"]:
        alert["since"] += shift
    return snapshot


async def test_the_dashboard_renders_a_whole_floor_with_visitor_text_as_text(stack, desk, new_page):
    """The fixture floor, slipped into the console's websocket in place of the real
    feed's snapshots (the rest of the traffic goes through untouched)."""
    page = await new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    session: dict[str, object] = {}

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        session["page"] = ws

        def from_page(frame: str | bytes) -> None:
            found = re.search(r"<subscribe [^>]*jid=[\"']([^\"']+)", str(frame))
            if found:
                session["jid"] = found.group(1)
            server.send(frame)

        def from_server(frame: str | bytes) -> None:
            if "urn:xmpp:json:0" not in str(frame) or "fixture" not in session:
                ws.send(frame)

        ws.on_message(from_page)
        server.on_message(from_server)

    await page.route_web_socket(re.compile(r"/xmpp-websocket$"), route)
    await log_in_to_console(page, stack, "john")
    panel = await open_floor(page)
    await expect(panel.locator(".huddle-floor__state")).to_have_text("Live")

    session["fixture"] = snapshot = fixture_snapshot()
    body = escape(json.dumps(snapshot))
    route_to_page = session["page"]
    assert isinstance(route_to_page, WebSocketRoute)
    route_to_page.send(
        f"<message xmlns='jabber:client' from='{stack.info.service}' to='{session['jid']}'"
        " type='headline'><event xmlns='http://jabber.org/protocol/pubsub#event'>"
        "<items node='floor'><item id='current'>"
        f"<json xmlns='urn:xmpp:json:0'>{body}</json></item></items></event></message>"
    )

    queue = panel.locator("[data-section='queue'] tbody tr")
    await expect(queue).to_have_count(2)
    odd = queue.nth(1)
    await expect(odd.locator(".huddle-floor__visitor")).to_have_text("<img src=x onerror=alert(1)>")
    await expect(odd.locator("td[data-label='First message']")).to_have_text(
        '<b>bold?</b> & "quotes"'
    )
    await expect(panel.locator("img, b")).to_have_count(0)

    # Alerts: listed, and their chats' rows marked, in words as well as colour.
    await expect(panel.locator(".huddle-floor__alert")).to_have_count(2)
    await expect(panel.locator("tr.is-alert")).to_have_count(2)
    await expect(queue.nth(0).locator(".huddle-floor__row-alert")).to_have_text(
        "⚠ Waiting for an agent"
    )
    await expect(page.locator(".huddle-floor-badge--alert")).to_have_text("2 alerts")

    active = panel.locator("[data-section='active'] tbody tr")
    await expect(active.nth(0).locator(".huddle-floor__hidden")).to_have_text("John")
    await expect(active.nth(1).locator(".huddle-floor__left")).to_have_text("left")
    await expect(
        panel.locator("[data-agent='josh@localhost'] td[data-label='Chats']")
    ).to_have_text("1 / 1")
    await expect(panel.locator("[data-figure='missed'] .huddle-floor__tile-value")).to_have_text(
        "2"
    )
    await expect(panel.locator("[data-chart='hours'] canvas")).to_have_count(1)
    await expect(panel.locator("[data-chart='week'] canvas")).to_have_count(1)
    await expect(panel.locator("[data-chart='week']")).to_have_attribute(
        "aria-label", re.compile("2026-11-25 40 chats, 6 missed")
    )
    await page.set_viewport_size({"width": 1280, "height": 1200})
    await screenshot(page, "dashboard-fixture")
    assert dialogs == []
