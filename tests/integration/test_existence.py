"""No existence oracle (LEAKS #32): to anyone who is not in a chat and not staff,
a chat that is open, one that was closed and one that never existed answer
every query the same, byte for byte but for the id and addresses; the desk too.

The askers: a second visitor (in a chat of their own), a visitor in no chat,
and a stranger (an account of the staff domain with no role). The queries: a
MAM query, the MAM search form, disco#info and disco#items on the chat.
"""

from __future__ import annotations

import secrets
from xml.etree import ElementTree as ET

import pytest

from tests.integration.client import error_condition, presence_from, q
from tests.integration.desk_helpers import room_notice, say

pytestmark = pytest.mark.integration
MAM = "urn:xmpp:mam:2"
QUERIES = {
    "MAM query": (f"<query xmlns='{MAM}' queryid='x'/>", "set"),
    "MAM form": (f"<query xmlns='{MAM}'/>", "get"),
    "disco#info": ("<query xmlns='http://jabber.org/protocol/disco#info'/>", "get"),
    "disco#items": ("<query xmlns='http://jabber.org/protocol/disco#items'/>", "get"),
}


def answer(reply: ET.Element, asked: str) -> str:
    """The reply with only what must differ taken out: its id and addresses."""
    assert reply.get("from") == asked
    copy = ET.fromstring(ET.tostring(reply))
    for name in ("id", "to", "from"):
        copy.attrib.pop(name, None)
    return ET.tostring(copy, encoding="unicode")


async def chats(connect, stack, room):
    """An open chat with a visitor and her agent, one that was closed, and the
    address of one that never existed."""
    service = stack.info.service
    alice = await connect()
    await alice.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    say(alice, room, "my card number is 4111")
    closed = f"chat-{secrets.token_hex(12)}@{service}"
    bob = await connect()
    await bob.join(closed, "Bob")
    await jennie.join(closed, "Jennie")
    say(bob, closed, "hello")
    say(jennie, closed, "!close done")
    await bob.expect(room_notice(closed, "This chat has ended"))
    await jennie.expect(presence_from(f"{closed}/Jennie", "unavailable"))
    never = f"chat-{secrets.token_hex(12)}@{service}"
    return {"open": room, "closed": closed, "never": never, "desk": stack.info.desk}, jennie


async def test_outsiders_learn_nothing_of_which_chats_exist(connect, login, stack, room):
    targets, _ = await chats(connect, stack, room)
    other_visitor = await connect()
    await other_visitor.join(f"chat-{secrets.token_hex(12)}@{stack.info.service}", "Carol")
    askers = {
        "visitor of another chat": other_visitor,
        "visitor in no chat": await connect(),
        "stranger": await login("stranger"),
    }
    for query, (payload, iq_type) in QUERIES.items():
        seen: dict[str, str] = {}
        for who, client in askers.items():
            for what, address in targets.items():
                reply = await client.iq(address, payload, iq_type)
                seen[f"{who} asking {query} of the {what} chat"] = answer(reply, address)
        assert len(set(seen.values())) == 1, "\n".join(f"{k}: {v}" for k, v in seen.items())
        one = next(iter(seen.values()))
        assert "item-not-found" in one and "4111" not in one
    for client in askers.values():
        assert "4111" not in client.raw and "Jennie" not in client.raw


async def test_staff_get_real_answers_but_closed_is_as_gone_as_never(connect, stack, room):
    targets, jennie = await chats(connect, stack, room)
    john = await connect("john")  # not in the chat, but may watch any
    for staff in (jennie, john):
        for query, (payload, iq_type) in QUERIES.items():
            live = await staff.iq(targets["open"], payload, iq_type)
            assert live.get("type") == "result", (query, ET.tostring(live))
            closed = await staff.iq(targets["closed"], payload, iq_type)
            never = await staff.iq(targets["never"], payload, iq_type)
            assert answer(closed, targets["closed"]) == answer(never, targets["never"]), query
            assert error_condition(never) == "cancel/item-not-found"
            desk = await staff.iq(targets["desk"], payload, iq_type)
            assert desk.get("type") == "result", (query, ET.tostring(desk))


async def test_a_visitor_knows_her_own_chat(connect, stack, room):
    targets, _ = await chats(connect, stack, room)
    alice = await connect()
    other = f"chat-{secrets.token_hex(12)}@{stack.info.service}"
    await alice.join(other, "Alice")
    for query, (payload, iq_type) in QUERIES.items():
        mine = await alice.iq(other, payload, iq_type)
        assert mine.get("type") == "result", query
        theirs = await alice.iq(targets["open"], payload, iq_type)
        assert error_condition(theirs) == "cancel/item-not-found", query
    info = await alice.iq(other, QUERIES["disco#info"][0])
    assert info.find(f".//{q('identity', 'http://jabber.org/protocol/disco#info')}") is not None
