"""Profanity, a terminal XMPP client, driven through tmux.

As a staff member's client: Jennie connects from a terminal, sits on the desk,
sees a new chat announced, joins it, and the visitor (a slixmpp client) receives
her answer; the visitor's messages show on her screen. As a visitor's client:
an anonymous Profanity user chats with Jennie, and nothing on its screen shows
John supervising until he speaks."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import pytest

from tests.integration.client import Client, groupchat_from, presence_from
from tests.integration.desk_helpers import close_all_chats, desk_notice, on_desk

pytestmark = [pytest.mark.terminal, pytest.mark.integration]


def say(client: Client, room: str, text: str) -> None:
    client.send(f"<message to='{room}' type='groupchat'><body>{text}</body></message>")


async def test_jennie_answers_a_visitor_from_profanity(stack, connect, room, profanity):
    await close_all_chats(stack)
    info = stack.info
    jennie = next(a for a in info.accounts if a.jid.startswith("jennie@"))

    await profanity.connect(jennie.jid, jennie.password, info.c2s_host, info.c2s_port)
    await profanity.join(info.desk, "Jennie")

    # A visitor opens a chat: the desk window announces it with its join link.
    visitor = await connect()
    await visitor.join(room, "Vera")
    await profanity.pane.wait_for(rf"New chat .*Vera.*xmpp:{re.escape(room)}\?join")
    say(visitor, room, "My refund is late")
    await profanity.pane.wait_for(r"visitor “Vera”: “My refund is late”")

    # Jennie joins the chat: the visitor sees her arrive, she sees the question.
    await profanity.join(room, "Jennie")
    await visitor.expect(presence_from(f"{room}/Jennie"), what="Jennie's presence")
    await profanity.pane.wait_for(r"Vera \(visitor\): My refund is late")

    await profanity.say("Hello Vera, let me look at that")
    await visitor.expect(
        groupchat_from(f"{room}/Jennie", "Hello Vera, let me look at that"), what="Jennie's answer"
    )

    say(visitor, room, "Thank you!")
    await profanity.pane.wait_for(r"Vera \(visitor\): Thank you!")


async def test_a_visitor_on_profanity_sees_a_hidden_supervisor_only_once_he_speaks(
    stack, connect, room, profanity
):
    await close_all_chats(stack)
    info = stack.info
    jennie = await connect("jennie")
    await on_desk(jennie, info.desk, "Jennie")

    # The visitor is Profanity, logged in anonymously, opening the chat.
    visitor_jid = await profanity.connect_anonymously(
        info.visitor_domain, info.c2s_host, info.c2s_port
    )
    await profanity.join(room, "Vera")
    await jennie.expect(desk_notice(info.desk, "New chat"), what="the announcement")
    await jennie.join(room, "Jennie")
    await profanity.pane.wait_for(r"Jennie")

    # John supervises hidden. Had anything of his reached the visitor, it would be
    # on screen before Jennie's next message: a room delivers in order.
    john = await connect("john")
    await john.join(room, "John")
    say(jennie, room, "Let me check with Accounts")
    screen = await profanity.pane.wait_for(r"Jennie: Let me check with Accounts")
    assert "John" not in screen

    say(john, room, "Your refund left today")
    await profanity.pane.wait_for(r"John: Your refund left today")

    await profanity.say("Thanks, John")
    got = await jennie.expect(groupchat_from(f"{room}/Vera (visitor)", "Thanks, John"))
    assert visitor_jid not in ET.tostring(got, encoding="unicode")


async def test_john_supervises_from_profanity_hidden_whispers_then_speaks(
    stack, connect, room, profanity
):
    await close_all_chats(stack)
    info = stack.info
    visitor = await connect()
    await visitor.join(room, "Vera")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    say(jennie, room, "Hello Vera, how can I help?")
    await visitor.expect(groupchat_from(f"{room}/Jennie", "Hello Vera, how can I help?"))

    # John, from a terminal, gets the desk's invitation to supervise and takes it.
    john = next(a for a in info.accounts if a.jid.startswith("john@"))
    await profanity.connect(john.jid, john.password, info.c2s_host, info.c2s_port)
    await profanity.join(info.desk, "John")
    await profanity.say(f"!supervise {room.split('@')[0]}")
    await profanity.pane.wait_for(r"Huddle: Invitation to \[")
    # Profanity lists received invitations; accepting one is /join.
    # Profanity shows a received invitation in its console window; /join accepts it.
    await profanity.say("/win 1")
    await profanity.pane.wait_for(r"Chat room invite received")
    await profanity.pane.wait_for(re.escape(room))
    await profanity.join(room, "John")
    # He can tell he is hidden: the room's service occupant says so, on his screen.
    await profanity.pane.wait_for(r"Huddle: John is supervising this chat, hidden from the visitor")

    # A whisper: staff only, and John sees it went to staff only.
    await profanity.say("!w refund it, I'll handle the fee")
    await jennie.expect(groupchat_from(f"{room}/John", "[whisper] refund it, I'll handle the fee"))
    await profanity.pane.wait_for(r"Huddle: Only staff saw: “refund it, I'll handle the fee”")

    # He speaks: the visitor sees him arrive, then his words, and never the whisper.
    await profanity.say("I am John from Accounts; your fee is refunded")
    await visitor.expect(presence_from(f"{room}/John"), what="John's arrival")
    await visitor.expect(
        groupchat_from(f"{room}/John", "I am John from Accounts; your fee is refunded")
    )
    assert "refund it" not in visitor.raw and "Huddle" not in visitor.raw
