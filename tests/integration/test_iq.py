"""Disco (XEP-0030), self-ping (XEP-0410), and one reply for every IQ."""

from __future__ import annotations

import pytest

from tests.integration.client import error_condition, q

pytestmark = pytest.mark.integration
INFO = "http://jabber.org/protocol/disco#info"
ITEMS = "http://jabber.org/protocol/disco#items"
PING = "<ping xmlns='urn:xmpp:ping'/>"


def features(reply):
    return {f.get("var") for f in reply.iter(q("feature", INFO))}


def form_value(reply, var):
    for field in reply.iter("{jabber:x:data}field"):
        if field.get("var") == var:
            return field.find("{jabber:x:data}value").text
    return None


async def test_service_disco_info(connect, stack):
    visitor = await connect()
    reply = await visitor.iq(stack.info.service, f"<query xmlns='{INFO}'/>")
    assert reply.get("type") == "result"
    identity = reply.find(f"{q('query', INFO)}/{q('identity', INFO)}")
    assert (identity.get("category"), identity.get("type")) == ("conference", "text")
    assert "http://jabber.org/protocol/muc" in features(reply)


async def test_room_disco_info_and_items(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    agent = await connect("jennie")
    await agent.join(room, "Jennie")
    reply = await visitor.iq(room, f"<query xmlns='{INFO}'/>")
    assert reply.get("type") == "result"
    assert {
        "http://jabber.org/protocol/muc",
        "urn:xmpp:sid:0",
        "urn:xmpp:occupant-id:0",
        "http://jabber.org/protocol/muc#self-ping-optimization",
    } <= features(reply)
    assert form_value(reply, "FORM_TYPE") == "http://jabber.org/protocol/muc#roominfo"
    assert form_value(reply, "muc#roominfo_occupants") == "2"
    items = await visitor.iq(room, f"<query xmlns='{ITEMS}'/>")
    assert items.get("type") == "result" and not list(items.find(q("query", ITEMS)))


async def test_service_lists_rooms_to_staff_only(connect, room, stack):
    visitor = await connect()
    await visitor.join(room, "Alice")
    reply = await visitor.iq(stack.info.service, f"<query xmlns='{ITEMS}'/>")
    assert not list(reply.find(q("query", ITEMS)))
    agent = await connect("jennie")
    reply = await agent.iq(stack.info.service, f"<query xmlns='{ITEMS}'/>")
    assert room in {i.get("jid") for i in reply.iter(q("item", ITEMS))}


async def test_disco_of_a_missing_room_is_item_not_found(connect, stack):
    visitor = await connect()
    reply = await visitor.iq(f"chat-{'5' * 24}@{stack.info.service}", f"<query xmlns='{INFO}'/>")
    assert error_condition(reply) == "cancel/item-not-found"


async def test_self_ping(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    reply = await visitor.iq(f"{room}/Alice (visitor)", PING)
    assert reply.get("type") == "result"
    assert reply.get("from") == f"{room}/Alice (visitor)"
    # Another nick, or a resource that is not joined: not-acceptable (XEP-0410).
    agent = await connect("jennie")
    await agent.join(room, "Jennie")
    reply = await visitor.iq(f"{room}/Jennie", PING)
    assert error_condition(reply) == "cancel/not-acceptable"
    other_session = await connect("jennie")
    reply = await other_session.iq(f"{room}/Jennie", PING)
    assert error_condition(reply) == "cancel/not-acceptable"


async def test_ping_to_the_service_answers_and_after_leaving_self_ping_fails(connect, room, stack):
    visitor = await connect()
    reply = await visitor.iq(stack.info.service, PING)
    assert reply.get("type") == "result"
    await visitor.join(room, "Alice")
    visitor.send(f"<presence to='{room}/Alice (visitor)' type='unavailable'/>")
    reply = await visitor.iq(f"{room}/Alice (visitor)", PING)
    assert error_condition(reply) == "cancel/not-acceptable"


@pytest.mark.parametrize(
    ("target", "payload", "condition"),
    [
        ("service", "<query xmlns='urn:example:nothing'/>", "cancel/service-unavailable"),
        (
            "room",
            "<query xmlns='http://jabber.org/protocol/muc#owner'/>",
            "cancel/feature-not-implemented",
        ),
        ("occupant", "<vCard xmlns='vcard-temp'/>", "cancel/feature-not-implemented"),
        ("room", "<a xmlns='urn:x:a'/><b xmlns='urn:x:b'/>", "modify/bad-request"),
        ("room", "", "modify/bad-request"),
    ],
)
async def test_every_iq_gets_exactly_one_reply(connect, room, stack, target, payload, condition):
    visitor = await connect()
    await visitor.join(room, "Alice")
    to = {"service": stack.info.service, "room": room, "occupant": f"{room}/Alice (visitor)"}
    reply = await visitor.iq(to[target], payload, iq_type="set")
    assert error_condition(reply) == condition
    # Exactly one: a ping after it is the next IQ this client receives.
    pong = await visitor.iq(stack.info.service, PING)
    iqs = [s for s in visitor.xmpp.stanzas if s.tag == q("iq")]
    assert iqs[-2:] == [reply, pong]


async def test_an_iq_right_after_the_join_sees_the_joined_room(connect, stack):
    room = f"chat-{'6' * 20}order@{stack.info.service}"
    visitor = await connect()
    visitor.send(
        f"<presence to='{room}/Alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
    )
    visitor.send(f"<iq type='get' to='{room}' id='right-after'><query xmlns='{INFO}'/></iq>")
    visitor.send(f"<iq type='get' to='{room}/Alice (visitor)' id='ping-after'>{PING}</iq>")
    info = await visitor.expect(lambda s: s.get("id") == "right-after")
    pong = await visitor.expect(lambda s: s.get("id") == "ping-after")
    assert info.get("type") == "result" and pong.get("type") == "result"


async def test_rooms_are_named_for_who_asks_and_the_desk_is_staff_only(connect, room, stack):
    visitor = await connect()
    await visitor.join(room, "Alice")
    name = lambda reply: reply.find(f"{q('query', INFO)}/{q('identity', INFO)}").get("name")  # noqa: E731
    assert name(await visitor.iq(room, f"<query xmlns='{INFO}'/>")) == "Support chat"
    agent = await connect("jennie")
    staff_name = name(await agent.iq(room, f"<query xmlns='{INFO}'/>"))
    assert staff_name.startswith("Chat with “Alice” [")
    assert name(await agent.iq(stack.info.desk, f"<query xmlns='{INFO}'/>")) == "Staff desk"
    hidden_desk = await visitor.iq(stack.info.desk, f"<query xmlns='{INFO}'/>")
    assert error_condition(hidden_desk) == "cancel/item-not-found"
    desk_archive = await visitor.iq(stack.info.desk, "<query xmlns='urn:xmpp:mam:2'/>", "set")
    assert error_condition(desk_archive) == "cancel/item-not-found"
    staff_archive = await agent.iq(stack.info.desk, "<query xmlns='urn:xmpp:mam:2'/>", "set")
    assert staff_archive.get("type") == "result"


async def test_staff_see_the_chat_named_by_its_visitor_in_quotes(connect, room):
    visitor = await connect()
    visitor.send(
        f"<presence to='{room}/x'><x xmlns='http://jabber.org/protocol/muc'/>"
        "<visitor xmlns='urn:huddle:visitor:0'><name>Jennie (agent)</name></visitor></presence>"
    )
    await visitor.expect(lambda s: s.tag == q("presence"), what="her own presence")
    jennie = await connect("jennie")
    query = "<query xmlns='http://jabber.org/protocol/disco#info'/>"
    identity = q("identity", "http://jabber.org/protocol/disco#info")
    named = (await jennie.iq(room, query)).find(f".//{identity}").get("name")
    assert named == f"Chat with “Jennie (agent)” [{room.split('@')[0][5:13]}]"
    told = (await visitor.iq(room, query)).find(f".//{identity}").get("name")
    assert told == "Support chat"
