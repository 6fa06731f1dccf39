"""Groupchat messages (XEP-0045 §7.4) with XEP-0359 ids and XEP-0421 occupant-ids."""

from __future__ import annotations

import pytest

from tests.integration.client import error_condition, groupchat_from, q

pytestmark = pytest.mark.integration
SID = "urn:xmpp:sid:0"
OID = "urn:xmpp:occupant-id:0"


async def chat(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    agent = await connect("jennie")
    await agent.join(room, "Jennie")
    return visitor, agent


async def test_message_is_reflected_to_all_with_ids(connect, room):
    visitor, agent = await chat(connect, room)
    visitor.send(
        f"<message to='{room}' type='groupchat' id='abc'><body>Hello</body>"
        f"<origin-id xmlns='{SID}' id='origin-1'/></message>"
    )
    mine = await visitor.expect(groupchat_from(f"{room}/Alice (visitor)", "Hello"))
    theirs = await agent.expect(groupchat_from(f"{room}/Alice (visitor)", "Hello"))
    for got in (mine, theirs):
        assert got.get("id") == "abc"
        assert got.find(q("origin-id", SID)).get("id") == "origin-1"
        stanza_id = got.find(q("stanza-id", SID))
        assert stanza_id.get("by") == room and stanza_id.get("id")
    assert mine.find(q("stanza-id", SID)).get("id") == theirs.find(q("stanza-id", SID)).get("id")
    assert mine.find(q("occupant-id", OID)).get("id") == theirs.find(q("occupant-id", OID)).get(
        "id"
    )


async def test_occupant_id_is_stable_per_person_and_distinct_between_people(connect, room):
    visitor, agent = await chat(connect, room)
    visitor.send(f"<message to='{room}' type='groupchat'><body>one</body></message>")
    one = await agent.expect(groupchat_from(f"{room}/Alice (visitor)", "one"))
    agent.send(f"<message to='{room}' type='groupchat'><body>two</body></message>")
    two = await agent.expect(groupchat_from(f"{room}/Jennie", "two"))
    visitor.send(f"<message to='{room}' type='groupchat'><body>three</body></message>")
    three = await agent.expect(groupchat_from(f"{room}/Alice (visitor)", "three"))
    oid = [s.find(q("occupant-id", OID)).get("id") for s in (one, two, three)]
    assert oid[0] == oid[2] != oid[1]
    assert "jennie" not in oid[1].lower()


async def test_client_supplied_ids_and_payloads_are_stripped(connect, room):
    visitor, agent = await chat(connect, room)
    visitor.send(
        f"<message to='{room}' type='groupchat'><body>forged</body>"
        f"<stanza-id xmlns='{SID}' id='fake' by='{room}'/>"
        f"<occupant-id xmlns='{OID}' id='fake-oid'/>"
        "<delay xmlns='urn:xmpp:delay' stamp='2001-01-01T00:00:00Z'/>"
        "<x xmlns='http://jabber.org/protocol/muc#user'><item role='moderator'/></x>"
        "<secret xmlns='urn:example:unknown'>payload</secret></message>"
    )
    got = await agent.expect(groupchat_from(f"{room}/Alice (visitor)", "forged"))
    assert [s.get("id") for s in got.findall(q("stanza-id", SID))] != ["fake"]
    assert len(got.findall(q("stanza-id", SID))) == 1
    assert got.find(q("occupant-id", OID)).get("id") != "fake-oid"
    for gone in ("delay", "x", "secret"):
        assert not [c for c in got if c.tag.endswith("}" + gone)], gone
    assert "payload" not in agent.raw and "fake-oid" not in agent.raw


async def test_chat_states_pass_but_are_not_history(connect, room):
    visitor, agent = await chat(connect, room)
    visitor.send(
        f"<message to='{room}' type='groupchat'>"
        "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>"
    )
    state = await agent.expect(
        lambda s: s.find(q("composing", "http://jabber.org/protocol/chatstates")) is not None
    )
    assert state.find(q("stanza-id", SID)) is None
    late = await connect("john")
    got = await late.join(room, "John")
    assert not [s for s in got if s.tag == q("message") and s.find(q("subject")) is None]


async def test_non_occupants_may_not_speak(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    outsider = await connect()
    outsider.send(f"<message to='{room}' type='groupchat' id='x1'><body>hi</body></message>")
    err = await outsider.expect(lambda s: s.get("id") == "x1")
    assert error_condition(err) == "modify/not-acceptable"
    # The same answer for a room that does not exist.
    outsider.send(
        f"<message to='chat-{'7' * 24}@{room.split('@')[1]}' type='groupchat' id='x2'>"
        "<body>hi</body></message>"
    )
    err = await outsider.expect(lambda s: s.get("id") == "x2")
    assert error_condition(err) == "modify/not-acceptable"


async def test_oversized_message_is_refused_and_not_reflected(connect, room, stack):
    visitor, agent = await chat(connect, room)
    big = "x" * (stack.config.max_message_chars + 1)
    visitor.send(f"<message to='{room}' type='groupchat' id='big'><body>{big}</body></message>")
    err = await visitor.expect(lambda s: s.get("id") == "big")
    assert error_condition(err) == "modify/policy-violation"
    visitor.send(f"<message to='{room}' type='groupchat'><body>small</body></message>")
    await agent.expect(groupchat_from(f"{room}/Alice (visitor)", "small"))
    assert big not in agent.raw


async def test_subject_is_staff_only_and_comes_from_the_room(connect, room):
    visitor, agent = await chat(connect, room)
    visitor.send(f"<message to='{room}' type='groupchat' id='s1'><subject>mine</subject></message>")
    err = await visitor.expect(lambda s: s.get("id") == "s1")
    assert error_condition(err) == "auth/forbidden"
    agent.send(
        f"<message to='{room}' type='groupchat'><subject>Billing question</subject></message>"
    )
    got = await visitor.expect(
        lambda s: (
            s.find(q("subject")) is not None and s.find(q("subject")).text == "Billing question"
        )
    )
    assert got.get("from") == room
