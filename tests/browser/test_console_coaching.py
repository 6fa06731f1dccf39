"""Coaching from the staff console: John, a supervisor in Converse.js, coaches
Jennie and approves her drafts by typing; the visitor gets only what he approved."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.pages import log_in_to_console, message, screenshot, send
from tests.integration.client import groupchat_from, presence_from
from tests.integration.desk_helpers import room_notice, say

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_a_supervisor_coaches_a_trainee_from_the_console(
    stack, connect, desk, room, new_page
):
    visitor = await connect()
    await visitor.join(room, "Hana")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    await visitor.expect(presence_from(f"{room}/Jennie"))

    page = await new_page()
    await log_in_to_console(page, stack, "john")
    await send(page, f"!supervise {room.split('@')[0]}", desk)
    await page.locator(".modal", has_text=room).get_by_role("button", name="Confirm").click()
    await expect(
        message(page, "John is supervising this chat, hidden from the visitor", room)
    ).to_be_visible()

    await send(page, "!coach Jennie", room)
    await jennie.expect(room_notice(room, "John is coaching Jennie"))
    say(jennie, room, "Your order was lost, sorry")
    await expect(
        message(page, "[draft 1, awaiting approval: !ok 1 · !edit 1 … · !no 1]", room)
    ).to_contain_text("Your order was lost, sorry")

    await send(page, "!edit 1 Let me find your order right away, Hana.", room)
    await visitor.expect(
        groupchat_from(f"{room}/Jennie", "Let me find your order right away, Hana.")
    )
    await expect(message(page, "John changed draft 1 of Jennie", room)).to_be_visible()
    await screenshot(page, "console-coaching")
    assert "lost" not in visitor.raw and "draft" not in visitor.raw and "John" not in visitor.raw
