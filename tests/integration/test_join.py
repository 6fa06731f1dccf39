"""Joining a chat room (XEP-0045 §7.2), as a visitor and as staff, against real Prosody."""

from __future__ import annotations

import pytest

from tests.integration.client import (
    NS_USER,
    codes,
    error_condition,
    groupchat_from,
    is_subject,
    presence_from,
    q,
)

pytestmark = pytest.mark.integration


async def test_visitor_creates_the_room_and_gets_a_component_assigned_nick(connect, room):
    visitor = await connect()
    got = await visitor.join(room, "Alice", presence_id="hello-1")
    # Visitor alone: self-presence, then (no history), then the empty subject.
    assert [s.tag for s in got] == [q("presence"), q("message")]
    me = got[0]
    assert me.get("from") == f"{room}/Alice (visitor)"
    assert codes(me) == {"110", "210"}
    assert me.get("id") == "hello-1"
    subject = got[1]
    assert is_subject(subject) and (subject.find(q("subject")).text or "") == ""


async def test_join_sequence_others_then_self_then_history_then_subject(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    visitor.send(
        f"<message to='{room}' type='groupchat' id='v1'><body>I need help</body></message>"
    )
    await visitor.expect(groupchat_from(f"{room}/Alice (visitor)", "I need help"))

    agent = await connect("jennie")
    got = await agent.join(room, "anything", presence_id="agent-join")
    assert [s.get("from") for s in got] == [
        f"{room}/Alice (visitor)",  # others' presence first
        f"{room}/Huddle",  # the service occupant, for staff only
        f"{room}/Jennie",  # then self, nick set by the component
        f"{room}/Alice (visitor)",  # then history
        f"{room}/Huddle",  # then the subject, from the service occupant
    ]
    assert codes(got[2]) == {"110", "210"} and got[2].get("id") == "agent-join"
    assert got[3].find(q("delay", "urn:xmpp:delay")) is not None
    assert got[3].find(q("body")).text == "I need help"
    assert is_subject(got[4])
    # The visitor's own join had neither: for her the room itself speaks.
    visitor_join = visitor.xmpp.stanzas[: visitor.cursor]
    assert f"{room}/Huddle" not in visitor.raw
    assert any(is_subject(s) and s.get("from") == room for s in visitor_join)
    # Staff see real JIDs (they moderate); the visitor told of Jennie does not.
    item = got[0].find(f"{q('x', NS_USER)}/{q('item', NS_USER)}")
    assert item.get("jid") == visitor.jid
    told = await visitor.expect(presence_from(f"{room}/Jennie"))
    assert told.find(f"{q('x', NS_USER)}/{q('item', NS_USER)}").get("jid") is None
    assert told.find(f"{q('x', NS_USER)}/{q('item', NS_USER)}").get("role") == "moderator"


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ("<history maxstanzas='2'/>", ["m3", "m4"]),
        ("<history maxstanzas='0'/>", []),
        ("<history seconds='3600'/>", ["m1", "m2", "m3", "m4"]),
        ("<history since='2999-01-01T00:00:00Z'/>", []),
        ("<history maxchars='0'/>", []),
        ("", ["m1", "m2", "m3", "m4"]),
    ],
)
async def test_history_limits_are_honoured(connect, room, history, expected):
    visitor = await connect()
    await visitor.join(room, "Alice")
    for n in range(1, 5):
        visitor.send(f"<message to='{room}' type='groupchat'><body>m{n}</body></message>")
        await visitor.expect(groupchat_from(f"{room}/Alice (visitor)", f"m{n}"))
    agent = await connect("jennie")
    got = await agent.join(room, "Jennie", history=history)
    bodies = [s.find(q("body")).text for s in got if s.find(q("body")) is not None]
    assert bodies == expected


async def test_maxchars_counts_whole_stanzas(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    for n in range(1, 4):
        visitor.send(f"<message to='{room}' type='groupchat'><body>m{n}</body></message>")
        await visitor.expect(groupchat_from(f"{room}/Alice (visitor)", f"m{n}"))
    agent = await connect("jennie")
    # One stanza is a few hundred characters: room for one, not two.
    got = await agent.join(room, "Jennie", history="<history maxchars='700'/>")
    bodies = [s.find(q("body")).text for s in got if s.find(q("body")) is not None]
    assert bodies == ["m3"]


async def test_two_sessions_of_one_staff_member_share_one_nick(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    laptop = await connect("jennie", resource="laptop")
    await laptop.join(room, "Jennie")
    await visitor.expect(presence_from(f"{room}/Jennie"))
    phone = await connect("jennie", resource="phone")
    got = await phone.join(room, "Jennie")
    mine = [s for s in got if s.get("from") == f"{room}/Jennie"]
    assert len(mine) == 1 and "110" in codes(mine[0])
    # The laptop session leaves; the person stays, and the visitor sees no leave.
    mark = visitor.mark()
    laptop.send(f"<presence to='{room}/Jennie' type='unavailable'/>")
    await laptop.expect(presence_from(f"{room}/Jennie", "unavailable"))
    update = await visitor.expect(lambda s: s.get("from") == f"{room}/Jennie")
    assert update.get("type") is None
    assert all(s.get("type") != "unavailable" for s in visitor.since(mark))
    # Messages reach the remaining session.
    visitor.send(f"<message to='{room}' type='groupchat'><body>still there?</body></message>")
    await phone.expect(groupchat_from(f"{room}/Alice (visitor)", "still there?"))


async def test_presence_update_and_leave_are_broadcast(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    agent = await connect("jennie")
    await agent.join(room, "Jennie")
    await visitor.expect(presence_from(f"{room}/Jennie"))
    agent.send(f"<presence to='{room}/Jennie'><show>away</show><status>lunch</status></presence>")
    update = await visitor.expect(presence_from(f"{room}/Jennie"))
    assert update.find(q("show")).text == "away"
    assert update.find(q("status")).text == "lunch"
    agent.send(f"<presence to='{room}/Jennie' type='unavailable'><status>bye</status></presence>")
    gone = await visitor.expect(presence_from(f"{room}/Jennie", "unavailable"))
    assert gone.find(q("status")).text == "bye"
    own = await agent.expect(presence_from(f"{room}/Jennie", "unavailable"))
    assert "110" in codes(own)


async def test_visitor_nick_change_stays_in_the_visitor_namespace(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    agent = await connect("jennie")
    await agent.join(room, "Jennie")
    visitor.send(f"<presence to='{room}/Jennie'/>")
    old = await agent.expect(presence_from(f"{room}/Alice (visitor)", "unavailable"))
    assert codes(old) == {"303"}
    item = old.find(f"{q('x', NS_USER)}/{q('item', NS_USER)}")
    assert item.get("nick") == "Jennie (visitor)"
    new = await visitor.expect(presence_from(f"{room}/Jennie (visitor)"))
    assert codes(new) == {"110", "210"}


@pytest.mark.parametrize(
    "local",
    ["chat-short", "chat-with+plus0123456789", "chat-under_score_0123456789", "random-room"],
)
async def test_bad_room_names_are_refused(connect, stack, local):
    visitor = await connect()
    got = await visitor.join(f"{local}@{stack.info.service}", "Alice", presence_id="bad")
    assert len(got) == 1
    assert got[0].get("from") == f"{local}@{stack.info.service}/Alice"
    assert error_condition(got[0]) == "cancel/not-allowed"


async def test_a_second_visitor_is_refused_and_the_first_notices_nothing(connect, room):
    first = await connect()
    await first.join(room, "Alice")
    mark = first.mark()
    second = await connect()
    got = await second.join(room, "Mallory", presence_id="second")
    assert error_condition(got[-1]) == "wait/service-unavailable"
    assert got[-1].get("from") == f"{room}/Mallory"
    # Alice still alone: her next stanza is the reflection of her own message.
    first.send(f"<message to='{room}' type='groupchat'><body>ping</body></message>")
    await first.expect(groupchat_from(f"{room}/Alice (visitor)", "ping"))
    # Only the room's own notices (welcome, queue) came before it: nothing of Mallory.
    from_people = [s for s in first.since(mark) if s.get("from") != room]
    assert from_people[0].find(q("body")).text == "ping"
    assert "Mallory" not in first.raw


async def test_staff_cannot_create_rooms_and_strangers_cannot_enter(connect, room, stack):
    agent = await connect("jennie")
    got = await agent.join(room, "Jennie")
    assert error_condition(got[-1]) == "cancel/item-not-found"
    # A JID of the staff domain that is not in the staff directory is a stranger.
    await stack.prosody.register("mallory", stack.info.staff_domain, "pw-mallory")
    from tests.integration.client import Client

    stranger = await Client.login(
        stack.info.c2s_host, stack.info.c2s_port, f"mallory@{stack.info.staff_domain}", "pw-mallory"
    )
    try:
        for target in (room, f"chat-{'9' * 20}@{stack.info.service}"):
            got = await stranger.join(target, "Mallory")
            assert error_condition(got[-1]) == "auth/registration-required"
        visitor = await connect()
        await visitor.join(room, "Alice")
        got = await stranger.join(room, "Mallory")
        assert error_condition(got[-1]) == "auth/registration-required"
    finally:
        await stranger.close()


async def test_join_without_nick_is_jid_malformed(connect, room):
    visitor = await connect()
    visitor.send(
        f"<presence to='{room}' id='nonick'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
    )
    err = await visitor.expect(lambda s: s.get("id") == "nonick")
    assert error_condition(err) == "modify/jid-malformed"


async def test_a_session_whose_messages_bounce_leaves_the_room(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    agent = await connect("jennie")
    await agent.join(room, "Jennie")
    # The agent's client answers a message with an error, as a server does for a
    # session that is gone: the room drops that session.
    agent.send(
        f"<message to='{room}/Jennie' from='{agent.jid}' type='error'>"
        "<error type='cancel'><recipient-unavailable "
        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"
    )
    await visitor.expect(presence_from(f"{room}/Jennie", "unavailable"))
    # Other errors (a client that merely dislikes a payload) change nothing.
    visitor.send(
        f"<message to='{room}/Alice (visitor)' type='error'>"
        "<error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
        "</message>"
    )
    visitor.send(f"<message to='{room}' type='groupchat'><body>still here</body></message>")
    await visitor.expect(groupchat_from(f"{room}/Alice (visitor)", "still here"))
