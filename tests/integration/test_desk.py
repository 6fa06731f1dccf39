"""The desk: new chats are announced and offered, offers move on, waiting
visitors learn their place, messages left while nobody was there reach staff."""

from __future__ import annotations

import pytest

from tests.integration.client import codes, error_condition, groupchat_from, presence_from, q
from tests.integration.desk_helpers import (
    configured,
    desk_notice,
    invitation_to,
    on_desk,
    room_notice,
    say,
)

pytestmark = pytest.mark.integration


async def test_desk_is_for_staff(connect, desk):
    visitor = await connect()
    got = await visitor.join(desk, "Alice")
    assert error_condition(got[-1]) == "auth/registration-required"
    jennie = await connect("jennie")
    got = await jennie.join(desk, "Jennie")
    # Her own presence (110); desk history from earlier tests may follow it.
    assert any("110" in codes(s) for s in got if s.tag == q("presence"))
    # Staff talk to each other on the desk.
    john = await connect("john")
    await john.join(desk, "John")
    say(john, desk, "morning all")
    await jennie.expect(groupchat_from(f"{desk}/John", "morning all"))


async def test_a_new_chat_is_announced_offered_and_taken(connect, desk, room):
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie")
    visitor = await connect()
    await visitor.join(room, "Alice")
    announced = await jennie.expect(desk_notice(desk, "New chat"))
    assert f"xmpp:{room}?join" in announced.find(q("body")).text
    assert "Alice" in announced.find(q("body")).text
    invitation = await jennie.expect(invitation_to(room))
    # From the service's domain, type normal, no body: what every client shows.
    assert invitation.get("from") == desk.split("@")[1]
    assert invitation.get("type") == "normal" and invitation.find(q("body")) is None
    say(visitor, room, "My invoice is wrong")
    follow_up = await jennie.expect(desk_notice(desk, "My invoice is wrong"))
    assert "Alice" in follow_up.find(q("body")).text

    await jennie.join(room, "Jennie")
    await visitor.expect(presence_from(f"{room}/Jennie"))  # the assigned agent is visible
    await jennie.expect(desk_notice(desk, "Jennie took"))
    # Offered at once, she never waited in line: no place was told.
    assert not any(room_notice(room, "in line")(s) for s in visitor.xmpp.stanzas)


async def test_a_visitor_is_told_her_place_when_the_offer_runs_out(connect, desk, room, stack):
    with configured(stack, offer_timeout=0.3):
        jennie = await connect("jennie")
        await on_desk(jennie, desk, "Jennie")
        visitor = await connect()
        await visitor.join(room, "Alice")
        await jennie.expect(invitation_to(room))
        await visitor.expect(room_notice(room, "You are next in line"))
        await jennie.expect(desk_notice(desk, "Still waiting"))


async def test_offers_go_to_the_chats_team_and_skip_unavailable_agents(connect, desk, room):
    josh = await connect("josh")  # team accounts: not for a support chat
    await on_desk(josh, desk, "Josh")
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie", show="away")
    visitor = await connect()
    await visitor.join(room, "Alice")
    await josh.expect(desk_notice(desk, "New chat"))
    # Jennie comes back: the waiting chat is offered to her now.
    jennie.send(f"<presence to='{desk}/Jennie'/>")
    await jennie.expect(invitation_to(room))
    await visitor.expect(room_notice(room, "next in line"))
    assert not [s for s in josh.xmpp.stanzas if invitation_to(room)(s)]


async def test_an_offer_not_taken_moves_on_and_the_chat_is_announced_again(
    connect, desk, room, stack
):
    with configured(stack, offer_timeout=0.3):
        jennie = await connect("jennie")
        await on_desk(jennie, desk, "Jennie")
        visitor = await connect()
        await visitor.join(room, "Alice")
        await jennie.expect(invitation_to(room))
        again = await jennie.expect(desk_notice(desk, "Still waiting"))
        assert f"xmpp:{room}?join" in again.find(q("body")).text
        await jennie.expect(invitation_to(room))  # a new round


async def test_waiting_visitors_learn_their_place(connect, desk, stack):
    service = stack.info.service
    first_room, second_room = (f"chat-{n * 20}place@{service}" for n in ("a", "b"))
    with configured(stack, queue_update_interval=0.0):
        jennie = await connect("jennie")
        await on_desk(jennie, desk, "Jennie", show="dnd")
        first = await connect()
        await first.join(first_room, "First")
        await first.expect(room_notice(first_room, "Nobody is available"))
        await first.expect(room_notice(first_room, "You are next in line"))
        second = await connect()
        await second.join(second_room, "Second")
        await second.expect(room_notice(second_room, "You are number 2 in line"))
        # The first chat is closed: the second visitor moves up.
        john = await connect("john")
        await john.join(first_room, "John")
        say(john, first_room, "!close")
        await second.expect(room_notice(second_room, "You are next in line"))


async def test_a_message_left_while_nobody_was_there_reaches_the_desk(connect, desk, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    await visitor.expect(room_notice(room, "Nobody is available"))
    say(visitor, room, "Please call me back on 555-0100")
    await visitor.expect(groupchat_from(f"{room}/Alice (visitor)"))
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie")
    left = await jennie.expect(desk_notice(desk, "Messages left while nobody was available"))
    assert "visitor “Alice”: “Please call me back on 555-0100”" in left.find(q("body")).text


async def test_close_tells_the_visitor_destroys_the_room_and_keeps_it_closed(connect, desk, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    john = await connect("john")
    await john.join(room, "John")
    say(jennie, room, "!close resolved")
    await visitor.expect(room_notice(room, "This chat has ended"))
    for client, nick in ((visitor, "Alice (visitor)"), (jennie, "Jennie"), (john, "John")):
        gone = await client.expect(presence_from(f"{room}/{nick}", "unavailable"))
        x = gone.find(q("x", "http://jabber.org/protocol/muc#user"))
        destroy = x.find(q("destroy", "http://jabber.org/protocol/muc#user"))
        assert destroy is not None and "110" in codes(gone)
    assert "John" not in visitor.raw  # even the destruction names no hidden staff
    got = await visitor.join(room, "Alice")
    assert error_condition(got[-1]) == "cancel/item-not-found"


async def test_a_visitor_who_leaves_has_a_grace_period(connect, desk, room, stack):
    with configured(stack, grace_period=0.4):
        visitor = await connect()
        await visitor.join(room, "Alice")
        jennie = await connect("jennie")
        await jennie.join(room, "Jennie")
        visitor.send(f"<presence to='{room}/Alice' type='unavailable'/>")
        await jennie.expect(presence_from(f"{room}/Alice (visitor)", "unavailable"))
        gone = await jennie.expect(presence_from(f"{room}/Jennie", "unavailable"))
        assert gone.find(f".//{q('destroy', 'http://jabber.org/protocol/muc#user')}") is not None


async def test_a_visitor_back_within_the_grace_period_keeps_the_chat(connect, desk, room, stack):
    with configured(stack, grace_period=30.0):
        visitor = await connect()
        await visitor.join(room, "Alice")
        jennie = await connect("jennie")
        await jennie.join(room, "Jennie")
        visitor.send(f"<presence to='{room}/Alice' type='unavailable'/>")
        await jennie.expect(presence_from(f"{room}/Alice (visitor)", "unavailable"))
        # A reload: a new anonymous session takes the visitor seat again.
        again = await connect()
        got = await again.join(room, "Alice")
        assert any(s.get("from") == f"{room}/Jennie" for s in got)
        say(jennie, room, "welcome back")
        await again.expect(groupchat_from(f"{room}/Jennie", "welcome back"))


async def test_idle_chats_close(connect, desk, room, stack):
    visitor = await connect()
    await visitor.join(room, "Alice")
    with configured(stack, idle_timeout=0.0):
        await stack.huddle.desk.sweep_idle()
    await visitor.expect(room_notice(room, "This chat has ended"))
    await visitor.expect(presence_from(f"{room}/Alice (visitor)", "unavailable"))


async def test_visitor_details_reach_staff_and_nobody_else(connect, desk, room):
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie")
    visitor = await connect()
    visitor.send(
        f"<presence to='{room}/Alice'><x xmlns='http://jabber.org/protocol/muc'/>"
        "<visitor xmlns='urn:huddle:visitor:0'><name>Alice Liddell</name>"
        "<email>alice@example.net</email><page>https://shop.example/pricing</page>"
        "<user-agent>TestBrowser/1.0</user-agent></visitor></presence>"
    )
    announced = await jennie.expect(desk_notice(desk, "New chat"))
    text = announced.find(q("body")).text
    assert "visitor “Alice Liddell”, email “alice@example.net”" in text
    assert "on “https://shop.example/pricing”" in text
    await jennie.join(room, "Jennie")
    jennie.send(f"<message to='{room}' type='groupchat'><body>!info</body></message>")
    info = await jennie.expect(room_notice(room, "Chat chat-"))
    assert "TestBrowser/1.0" in info.find(q("body")).text
    # Staff presence and messages never carry the details onwards.
    assert "urn:huddle:visitor:0" not in jennie.raw


async def test_the_agent_who_takes_a_chat_is_told_the_first_question(connect, desk, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    say(visitor, room, "Where is my parcel?")
    await visitor.expect(groupchat_from(f"{room}/Alice (visitor)", "Where is my parcel?"))
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    told = await jennie.expect(room_notice(room, "Your chat."))
    assert told.findtext(q("body")) == "Your chat. visitor “Alice” asked: “Where is my parcel?”"
    await visitor.expect(presence_from(f"{room}/Jennie"))
    assert "Your chat" not in visitor.raw
