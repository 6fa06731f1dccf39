"""The widget as a visitor sees it: her words, not XMPP's; her own name as she typed
it, with steady avatars and colours; the room's notices where they were after a
reload; storage that does not grow with reloads; a clean form; a phone's screen;
and everything anyone typed shown as text, never run as HTML."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.pages import chat_ended, message, screenshot, send, widget_chat
from tests.browser.test_widget import open_chat
from tests.integration.client import groupchat_from
from tests.integration.desk_helpers import say

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# Words a visitor should never meet: they are XMPP's, not hers.
XMPP_WORDS = re.compile(r"groupchat|nickname|\broom\b|\bmuc\b|\(visitor\)", re.IGNORECASE)
PHONE = {"width": 375, "height": 667}


# What the chat shows, top to bottom: "Name: text" for a message, the text of a
# notice; no times (a reload may cross a minute).
SHOWN_LINES = """() => [...document.querySelectorAll(
    '.huddle-chat converse-chat-message')].map(el => {
    const info = el.querySelector('.chat-info__message');
    if (info) return info.innerText.trim();
    const author = el.querySelector('.chat-msg__author')?.innerText.trim();
    const text = el.querySelector('.chat-msg__text')?.innerText.trim();
    return author ? `${author}: ${text}` : `…: ${text}`;
})"""


async def shown_lines(page: Page) -> list[str]:
    return await page.evaluate(SHOWN_LINES)


async def until_shown(page: Page, lines: list[str]) -> None:
    """Waits (Playwright's polling, no sleep) until the chat shows exactly ``lines``."""
    try:
        await page.wait_for_function(
            f"expected => JSON.stringify(({SHOWN_LINES})()) === JSON.stringify(expected)",
            arg=lines,
        )
    except Exception:
        assert await shown_lines(page) == lines
        raise


async def avatars(page: Page) -> dict[str, tuple[str, str]]:
    """Each author's avatar: (initials, background colour)."""
    found = await page.evaluate(
        """() => [...document.querySelectorAll('.huddle-chat .chat-msg')].map(el => {
            const a = el.querySelector('converse-avatar .avatar-initials');
            return a && [el.querySelector('.chat-msg__author')?.innerText.trim(),
                         a.innerText.trim(), getComputedStyle(a).backgroundColor];
        }).filter(Boolean)"""
    )
    return {author: (initials, colour) for author, initials, colour in found}


async def converse_storage(page: Page) -> tuple[int, list[str]]:
    """How many sessionStorage keys Converse has, and those of other anonymous
    sessions than this page's."""
    keys = await page.evaluate("Object.keys(sessionStorage)")
    session = await page.evaluate("localStorage.getItem('conversejs-session-jid')")
    assert session and "@guest.localhost" in session, session
    bare = session.split("/")[0]
    converse = [k for k in keys if k.startswith("converse-session/")]
    return len(converse), [k for k in converse if "@guest.localhost" in k and bare not in k]


async def test_the_visitor_meets_her_words_her_name_and_steady_notices(
    stack, connect, desk, new_page
):
    chat = await open_chat(stack, connect, desk, new_page, name="Mia")
    page = chat.page
    say(chat.agent, chat.room, "Hello Mia, let me check.")
    await expect(message(page, "Hello Mia, let me check.")).to_be_visible()
    await send(page, "Thank you")
    await chat.agent.expect(groupchat_from(chat.visitor, "Thank you"))

    # Offered to Jennie at once, Mia never waits in line: no place is told.
    expected = [
        "Welcome! Someone from our team will be with you shortly.",
        "Mia: Where is my parcel?",
        "Jennie joined the chat.",
        "Jennie: Hello Mia, let me check.",
        "Mia: Thank you",
    ]
    # Jennie may join just before the question arrives: both orders are right.
    before = await shown_lines(page)
    assert before in (expected, [expected[0], expected[2], expected[1], *expected[3:]]), before
    text = await widget_chat(page).inner_text()
    assert not XMPP_WORDS.search(text), text
    faces = await avatars(page)
    # Her own name as she typed it, and initials made from it (not "M(").
    assert faces["Mia"][0] == "M" and faces["Jennie"][0] == "J"
    assert faces["Mia"][1] != faces["Jennie"][1]
    await message_box_layout(page)
    # Names and avatars open no details of an "occupant" with its "XMPP address".
    assert await page.evaluate(
        """() => [...document.querySelectorAll('.huddle-chat .show-msg-author-modal')]
            .every(a => getComputedStyle(a).pointerEvents === 'none')"""
    )
    await screenshot(page, "widget-polish-before-reload")

    sizes = []
    for _ in range(3):
        await page.reload()
        await expect(message(page, "Thank you")).to_be_visible()
        # The notices come back in their places, once the history is in.
        await until_shown(page, before)
        assert await avatars(page) == faces
        text = await widget_chat(page).inner_text()
        assert not XMPP_WORDS.search(text), text
        count, stale = await converse_storage(page)
        # Only this page's anonymous session is kept.
        assert stale == [], stale
        sizes.append(count)
    # And the storage stays the size of one session (Converse's vCard cache may
    # differ by a key or two between loads).
    assert max(sizes) - min(sizes) <= 3, sizes
    await screenshot(page, "widget-polish-after-reloads")


async def test_the_form_is_one_tidy_column_that_fills_the_panel(stack, new_page):
    page = await new_page()
    await page.goto(stack.info.widget_url)
    await page.click(".huddle-launcher")
    form = page.locator(".huddle-form")
    await expect(form).to_be_visible()
    # "(optional)" on the same line as "Email".
    email = await form.locator(".huddle-label", has_text="Email").bounding_box()
    name = await form.locator(".huddle-label", has_text="Your name").bounding_box()
    optional = await form.get_by_text("(optional)").bounding_box()
    assert email["height"] <= name["height"] + 2, (email, name)
    assert optional["y"] < email["y"] + email["height"] / 2 < optional["y"] + optional["height"]
    # The button sits at the bottom of the panel: no half-empty panel below it.
    panel = await page.locator(".huddle-panel").bounding_box()
    button = await form.get_by_role("button", name="Start chat").bounding_box()
    assert panel["y"] + panel["height"] - (button["y"] + button["height"]) < 30
    await screenshot(page, "widget-form")


async def message_box_layout(page: Page) -> None:
    """The text box with the send button beside it, all inside the screen."""
    viewport = page.viewport_size
    box = await page.locator(".huddle-chat textarea.chat-textarea").bounding_box()
    send_button = await page.locator(".huddle-chat .send-button").bounding_box()
    assert send_button["x"] >= box["x"] + box["width"] - 1, (box, send_button)
    middle = send_button["y"] + send_button["height"] / 2
    assert box["y"] <= middle <= box["y"] + box["height"] + 4, (box, send_button)
    for part in (box, send_button):
        assert part["x"] >= 0 and part["x"] + part["width"] <= viewport["width"], part
        assert part["y"] >= 0 and part["y"] + part["height"] <= viewport["height"], part


async def test_the_widget_on_a_phone(stack, connect, desk, new_page):
    page = await new_page()
    await page.set_viewport_size(PHONE)
    await page.goto(stack.info.widget_url)
    await expect(page.locator(".huddle-launcher")).to_be_in_viewport()
    await screenshot(page, "widget-phone-launcher")
    await page.click(".huddle-launcher")
    # The open panel takes the whole screen.
    panel = await page.locator(".huddle-panel").bounding_box()
    assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, 375, 667)
    await screenshot(page, "widget-phone-form")

    phone = await open_chat(
        stack, connect, desk, new_page, name="Noor", question="Can I change my address?", page=page
    )
    say(phone.agent, phone.room, "Yes: what is the new one?")
    await expect(message(page, "Yes: what is the new one?")).to_be_visible()
    await send(page, "12 Long Street")
    await phone.agent.expect(groupchat_from(phone.visitor, "12 Long Street"))
    await expect(message(page, "12 Long Street")).to_be_in_viewport()
    await message_box_layout(page)
    # Nothing sticks out sideways.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await screenshot(page, "widget-phone-chat")

    say(phone.agent, phone.room, "!close")
    ended = chat_ended(page)
    await expect(ended.get_by_role("button", name="Start a new chat")).to_be_in_viewport()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await screenshot(page, "widget-phone-ended")


async def test_what_anyone_typed_is_shown_as_text(stack, connect, desk, new_page):
    name = '<img src=x onerror="window.pwned=1">Mia'
    question = "<script>window.pwned=2</script> where?"
    chat = await open_chat(stack, connect, desk, new_page, name=name, question=question)
    page = chat.page
    staff_html = '<b onmouseover="window.pwned=3">bold</b> & <i>it</i>'
    say(chat.agent, chat.room, staff_html.replace("&", "&amp;").replace("<", "&lt;"))
    await expect(message(page, staff_html)).to_be_visible()
    await expect(message(page, question)).to_be_visible()
    await expect(message(page, question)).to_contain_text(name)
    assert await page.evaluate("window.pwned") is None
    assert await page.locator(".huddle-widget img[src=x]").count() == 0
    assert await page.locator(".huddle-widget script").count() == 0
