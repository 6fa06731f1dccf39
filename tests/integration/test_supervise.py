"""Supervise: staff join chats invisibly, staff are told, speaking reveals,
whispers stay staff-only. Read as conversations: who sends, who receives."""

from __future__ import annotations

import pytest

from roles.nicks import SERVICE_NICK
from tests.integration.client import (
    NS_USER,
    error_condition,
    groupchat_from,
    presence_from,
    q,
)
from tests.integration.supervision import supervised_chat

pytestmark = pytest.mark.integration
HATS = "urn:xmpp:hats:0"


def say(client, room, text, msg_id=""):
    attr = f" id='{msg_id}'" if msg_id else ""
    client.send(f"<message to='{room}' type='groupchat'{attr}><body>{text}</body></message>")


def notice(room, text=None):
    def match(s):
        body = s.find(q("body"))
        return (
            s.get("from") in (room, f"{room}/{SERVICE_NICK}")
            and body is not None
            and (text is None or (body.text or "").startswith(text))
        )

    return match


async def test_the_seed_dialogue(connect, room):
    """Jennie answers, John from Accounts joins hidden, Jennie is told, John answers
    and the visitor sees him appear, then his message."""
    visitor = await connect()
    await visitor.join(room, "Visitor")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    await visitor.expect(presence_from(f"{room}/Jennie"))
    say(jennie, room, "Thank you for contacting us. This is Jennie, how may I help you?")
    say(
        visitor,
        room,
        "If I subscribe to the quarterly plan, can I downgrade to the monthly plan later?",
    )
    await jennie.expect(groupchat_from(f"{room}/Visitor (visitor)"))
    say(jennie, room, "Yes you can always downgrade or upgrade to any plan you like")
    say(visitor, room, "Would you refund me the fee if I do so?")
    await jennie.expect(
        groupchat_from(f"{room}/Visitor (visitor)", "Would you refund me the fee if I do so?")
    )

    john = await connect("john")
    await john.join(room, "John")
    arrived = await jennie.expect(presence_from(f"{room}/John"))
    hat = arrived.find(f"{q('hats', HATS)}/{q('hat', HATS)}")
    assert hat.get("title") == "Supervisor (hidden)"
    assert "hidden from the visitor" in arrived.find(q("status")).text.lower()
    # Staff clients that show neither status nor hats (Dino) list him as a member.
    item = arrived.find(f"{q('x', NS_USER)}/{q('item', NS_USER)}")
    assert item.get("affiliation") == "member"
    told = await jennie.expect(notice(room, "John is supervising this chat"))
    assert told.find(q("body")).text == "John is supervising this chat, hidden from the visitor."

    say(
        jennie, room, "Just a moment, we will have someone from the Accounts team answer your query"
    )
    await visitor.expect(
        groupchat_from(
            f"{room}/Jennie",
            "Just a moment, we will have someone from the Accounts team answer your query",
        )
    )
    mark = visitor.mark()
    say(
        john,
        room,
        "Hi, Thanks for your question. I am John and I take care of all accounting operations",
    )
    answer = await visitor.expect(groupchat_from(f"{room}/John"))
    seen = visitor.since(mark)
    assert seen[0].tag == q("presence") and seen[0].get("from") == f"{room}/John"
    assert seen[-1] is answer
    assert "John" not in visitor.raw[: visitor.raw.find(f"{room}/John")]  # not before he spoke
    # Staff are told he is visible now.
    revealed = await jennie.expect(presence_from(f"{room}/John"))
    assert revealed.find(f"{q('hats', HATS)}/{q('hat', HATS)}").get("title") == "Supervisor"
    await jennie.expect(notice(room, "John is now visible"))
    # Visible from then on: a second message needs no new presence.
    mark = visitor.mark()
    say(john, room, "You will only be charged for the current month")
    await visitor.expect(
        groupchat_from(f"{room}/John", "You will only be charged for the current month")
    )
    assert [s.tag for s in visitor.since(mark)] == [q("message")]


async def test_visitor_never_sees_hats_and_staff_see_who_is_who(connect, room):
    chat = await supervised_chat(connect, room)
    got = next(s for s in chat.john.xmpp.stanzas if s.get("from") == f"{room}/John")
    assert got.find(f"{q('hats', HATS)}/{q('hat', HATS)}").get("title") == "Supervisor (hidden)"
    jennie_for_john = [
        s
        for s in chat.john.xmpp.stanzas
        if s.get("from") == f"{room}/Jennie" and s.tag == q("presence")
    ]
    assert jennie_for_john[0].find(f"{q('hats', HATS)}/{q('hat', HATS)}").get("title") == "Agent"
    await chat.sync_visitor()
    assert HATS not in chat.visitor.raw
    chat.assert_no_leak()


async def test_whisper_reaches_staff_only_and_marks_it(connect, room):
    chat = await supervised_chat(connect, room)
    say(chat.agent, room, "!w is this a refund case?", "wh1")
    mine = await chat.agent.expect(
        groupchat_from(f"{room}/Jennie", "[whisper] is this a refund case?")
    )
    assert mine.get("id") == "wh1"  # the sender's client sees its message delivered
    # A receipt in its own message, for clients that show only their local copy.
    await chat.agent.expect(notice(room, "Only staff saw: “is this a refund case?”"))
    await chat.john.expect(groupchat_from(f"{room}/Jennie", "[whisper] is this a refund case?"))
    say(chat.john, room, "!whisper yes, I'll take it")
    await chat.agent.expect(groupchat_from(f"{room}/John", "[whisper] yes, I'll take it"))
    await chat.sync_visitor()
    assert "refund" not in chat.visitor.raw and "take it" not in chat.visitor.raw
    chat.assert_no_leak()  # whispering did not reveal John


async def test_reveal_and_hide_commands(connect, room):
    chat = await supervised_chat(connect, room)
    mark = chat.visitor.mark()
    say(chat.john, room, "!reveal")
    appeared = await chat.visitor.expect(presence_from(f"{room}/John"))
    assert appeared.get("type") is None
    # Staff see him become an admin like any visible colleague.
    shown = await chat.agent.expect(presence_from(f"{room}/John"))
    assert shown.find(f"{q('x', NS_USER)}/{q('item', NS_USER)}").get("affiliation") == "admin"
    await chat.agent.expect(notice(room, "John is now visible"))
    say(chat.john, room, "!reveal")
    await chat.john.expect(notice(room, "You are already visible"))
    say(chat.john, room, "!hide")
    left = await chat.visitor.expect(presence_from(f"{room}/John", "unavailable"))
    assert (
        left.find(
            f"{q('x', 'http://jabber.org/protocol/muc#user')}/{q('status', 'http://jabber.org/protocol/muc#user')}"
        )
        is None
    )
    await chat.agent.expect(notice(room, "John is now hidden"))
    # The commands themselves never reached the visitor.
    assert "!reveal" not in chat.visitor.raw and "!hide" not in chat.visitor.raw
    bodies = [s for s in chat.visitor.since(mark) if s.tag == q("message")]
    assert bodies == []
    # Hidden again: a message from John reveals him once more.
    say(chat.john, room, "back again")
    await chat.visitor.expect(presence_from(f"{room}/John"))
    await chat.visitor.expect(groupchat_from(f"{room}/John", "back again"))


async def test_agent_can_hide_too_and_the_visitor_sees_a_leave(connect, room):
    chat = await supervised_chat(connect, room)
    say(chat.agent, room, "!hide")
    await chat.visitor.expect(presence_from(f"{room}/Jennie", "unavailable"))
    status = await chat.john.expect(presence_from(f"{room}/Jennie"))
    assert "hidden" in status.find(q("status")).text.lower()


async def test_help_and_unknown_commands_answer_the_sender_only(connect, room):
    chat = await supervised_chat(connect, room)
    say(chat.john, room, "!help")
    help_text = await chat.john.expect(notice(room, "Staff commands"))
    assert "!w <text>" in help_text.find(q("body")).text
    say(chat.john, room, "!frobnicate now")
    await chat.john.expect(notice(room, "Unknown command !frobnicate"))
    await chat.sync_visitor()
    assert "Staff commands" not in chat.agent.raw and "frobnicate" not in chat.visitor.raw
    chat.assert_no_leak()


async def test_a_visitor_typing_a_bang_sends_an_ordinary_message(connect, room):
    chat = await supervised_chat(connect, room)
    say(chat.visitor, room, "!w hello?")
    got = await chat.agent.expect(groupchat_from(chat.visitor_nick))
    assert got.find(q("body")).text == "!w hello?"
    # Staff escape the prefix with a double bang.
    say(chat.agent, room, "!!important")
    await chat.visitor.expect(groupchat_from(f"{room}/Jennie", "!important"))


async def test_say_command_speaks_to_the_visitor(connect, room):
    chat = await supervised_chat(connect, room)
    say(chat.john, room, "!say Hello from Accounts")
    await chat.visitor.expect(presence_from(f"{room}/John"))
    await chat.visitor.expect(groupchat_from(f"{room}/John", "Hello from Accounts"))
    assert "!say" not in chat.visitor.raw


async def test_whisper_mode_keeps_plain_messages_of_hidden_staff_staff_only(
    connect, room, whisper_mode
):
    chat = await supervised_chat(connect, room)
    say(chat.john, room, "she seems upset")
    await chat.agent.expect(groupchat_from(f"{room}/John", "[whisper] she seems upset"))
    await chat.john.expect(notice(room, "Only staff saw: “she seems upset” (!say <text> speaks)"))
    await chat.sync_visitor()
    assert "upset" not in chat.visitor.raw and "Only staff saw" not in chat.visitor.raw
    chat.assert_no_leak()
    say(chat.john, room, "!say Hello, I am from Accounts")
    await chat.visitor.expect(presence_from(f"{room}/John"))
    await chat.visitor.expect(groupchat_from(f"{room}/John", "Hello, I am from Accounts"))


async def test_staff_private_messages_between_staff(connect, room):
    chat = await supervised_chat(connect, room)
    chat.agent.send(
        f"<message to='{room}/John' type='chat' id='p1'><body>can you take this?</body></message>"
    )
    got = await chat.john.expect(lambda s: s.tag == q("message") and s.get("type") == "chat")
    assert got.get("from") == f"{room}/Jennie"
    assert got.find(q("body")).text == "can you take this?"
    assert got.find(q("x", "http://jabber.org/protocol/muc#user")) is not None
    # Staff may not PM the visitor: a hidden sender would appear from nowhere.
    chat.john.send(
        f"<message to='{chat.visitor_nick}' type='chat' id='p2'><body>hi</body></message>"
    )
    err = await chat.john.expect(lambda s: s.get("id") == "p2")
    assert error_condition(err) == "cancel/item-not-found"
    await chat.sync_visitor()
    chat.assert_no_leak()


async def test_staff_on_two_devices_stay_hidden_on_both(connect, room):
    chat = await supervised_chat(connect, room)
    phone = await connect("john", resource="phone")
    got = await phone.join(room, "John")
    me = [s for s in got if s.get("from") == f"{room}/John"]
    assert me[0].find(f"{q('hats', HATS)}/{q('hat', HATS)}").get("title") == "Supervisor (hidden)"
    # Leaving from one device keeps the other, still hidden.
    chat.john.send(f"<presence to='{room}/John' type='unavailable'/>")
    await chat.john.expect(presence_from(f"{room}/John", "unavailable"))
    still = await chat.agent.expect(
        lambda s: (
            s.get("from") == f"{room}/John"
            and s.get("type") is None
            and s.find(q("status")) is not None
        )
    )
    assert "hidden" in still.find(q("status")).text.lower()
    say(phone, room, "!w from my phone")
    await chat.agent.expect(groupchat_from(f"{room}/John", "[whisper] from my phone"))
    await chat.sync_visitor()
    assert phone.jid.split("/", 1)[1] not in chat.visitor.raw
    chat.assert_no_leak()


async def test_the_first_agent_is_visible_and_a_second_agent_joins_hidden(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    john = await connect("john")
    await john.join(room, "John")  # a supervisor first: still hidden
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    await visitor.expect(presence_from(f"{room}/Jennie"))
    josh = await connect("josh")
    refused = await josh.join(room, "Josh")  # another agent needs an invitation
    assert error_condition(refused[-1]) == "auth/forbidden"
    say(jennie, room, "!invite Josh")
    await jennie.expect(notice(room, "Jennie invited Josh"))
    await josh.join(room, "Josh")
    await jennie.expect(notice(room, "Josh is supervising this chat"))
    say(jennie, room, "sync")
    await visitor.expect(groupchat_from(f"{room}/Jennie", "sync"))
    assert "Josh" not in visitor.raw and "John" not in visitor.raw
