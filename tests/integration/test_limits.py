"""A hostile visitor meets limits: each answered with an XMPP error a widget can
show, and nothing past a limit is stored or delivered.

The visitor floods; the agent (or the desk) must receive no more than the limit
lets through, and the visitor gets ``policy-violation`` or
``resource-constraint`` with a text for each refused stanza.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from xml.etree import ElementTree as ET

from component.config import Limits
from component.dev.stack import DevStack
from roles.limits import Rate
from tests.integration.client import (
    Client,
    codes,
    error_condition,
    groupchat_from,
    presence_from,
    q,
)
from tests.integration.desk_helpers import (
    close_all_chats,
    configured,
    desk_notice,
    on_desk,
    room_notice,
    say,
)

DEFAULTS = Limits()
NS_MUC = "http://jabber.org/protocol/muc"


@contextmanager
def limits(stack: DevStack, **changes: object) -> Iterator[None]:
    with configured(stack, limits=dataclasses.replace(DEFAULTS, **changes)):  # type: ignore[arg-type]
        yield


def errors_of(client: Client, kind: str) -> list[ET.Element]:
    return [s for s in client.xmpp.stanzas if s.tag == q(kind) and s.get("type") == "error"]


def text_of(error: ET.Element) -> str:
    return error.findtext(f"{q('error')}/{{urn:ietf:params:xml:ns:xmpp-stanzas}}text") or ""


def new_room(stack: DevStack) -> str:
    return f"chat-{secrets.token_hex(16)}@{stack.info.service}"


async def until(client: Client, count: int, match) -> None:
    """Wait until ``client`` has received ``count`` stanzas matching ``match``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while sum(1 for s in client.xmpp.stanzas if match(s)) < count:
        client.xmpp.arrived.clear()
        assert loop.time() < deadline, f"{client.jid} got fewer than {count}"
        await asyncio.wait_for(client.xmpp.arrived.wait(), deadline - loop.time())


def live(client: Client) -> list[ET.Element]:
    """What the client received as it happened: the desk's history left out."""
    return [s for s in client.xmpp.stanzas if s.find("{urn:xmpp:delay}delay") is None]


def say_as(client: Client, room: str, tag: str, n: int, body: str = "") -> None:
    client.send(
        f"<message to='{room}' type='groupchat' id='{tag}{n}'>"
        f"<body>{body or f'{tag} {n}'}</body></message>"
    )


def answered(tag: str, kind: str = "message"):
    """Our stanzas' answers: reflections and errors keep the id we sent."""
    return lambda s: s.tag == q(kind) and (s.get("id") or "").startswith(tag)


# -- chats per visitor and waiting chats ---------------------------------------------


async def test_300_simultaneous_joins_from_one_session_open_only_the_limit(connect, stack, desk):
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie", show="away")
    visitor = await connect()
    rooms = [new_room(stack) for _ in range(300)]
    for n, room in enumerate(rooms):
        visitor.send(f"<presence to='{room}/Mallory' id='j{n}'><x xmlns='{NS_MUC}'/></presence>")
    # Every join is answered: a self-presence or an error.
    await until(visitor, 300, lambda s: s.tag == q("presence") and (s.get("id") or "")[:1] == "j")
    joined = [s for s in visitor.xmpp.stanzas if s.tag == q("presence") and "110" in codes(s)]
    refused = errors_of(visitor, "presence")
    assert len(joined) == DEFAULTS.chats_per_visitor
    assert len(refused) == 300 - DEFAULTS.chats_per_visitor
    assert {error_condition(e) for e in refused} == {"wait/policy-violation"}
    assert {text_of(e) for e in refused} == {
        "You have too many chats open; please go on in one of them."
    }
    # The desk heard of the chats that opened, and of no other.
    say(jennie, desk, "!chats")
    listing = await jennie.expect(desk_notice(desk, "· team support ·"))
    assert (listing.findtext(q("body")) or "").count("\n") == DEFAULTS.chats_per_visitor - 1
    announced = [s for s in live(jennie) if "New chat" in (s.findtext(q("body")) or "")]
    assert len(announced) == DEFAULTS.chats_per_visitor
    # Nothing is kept per address the service ever sent presence to.
    assert stack.huddle is not None
    roster = stack.huddle.xmpp.roster
    assert sum(len(roster[node]) for node in roster) == 0
    await close_all_chats(stack)


async def test_a_closed_chat_frees_its_place_for_the_same_visitor(connect, stack, desk):
    visitor = await connect()
    with limits(stack, chats_per_visitor=1):
        first, second = new_room(stack), new_room(stack)
        await visitor.join(first, "Alice")
        got = await visitor.join(second, "Alice")
        assert error_condition(got[-1]) == "wait/policy-violation"
        john = await connect("john")
        await john.join(first, "John")
        say(john, first, "!close")
        await visitor.expect(presence_from(f"{first}/Alice (visitor)", "unavailable"))
        got = await visitor.join(second, "Alice")
        assert any("110" in codes(s) for s in got)


async def test_when_too_many_chats_wait_new_visitors_are_told_we_are_busy(connect, stack, desk):
    with limits(stack, waiting_chats=3):
        for _ in range(3):
            visitor = await connect()
            await visitor.join(new_room(stack), "Alice")
        late = await connect()
        got = await late.join(new_room(stack), "Bob")
        assert error_condition(got[-1]) == "wait/resource-constraint"
        assert text_of(got[-1]) == "We are very busy right now; please try again in a few minutes."
    await close_all_chats(stack)


async def test_chats_whose_visitor_left_hold_no_place_in_line_and_are_not_offered(
    connect, stack, desk
):
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie", show="away")
    gone_room, real_room = new_room(stack), new_room(stack)
    gone = await connect()
    await gone.join(gone_room, "Flood")
    gone.send(f"<presence to='{gone_room}/Flood' type='unavailable'/>")
    await gone.expect(presence_from(f"{gone_room}/Flood (visitor)", "unavailable"))
    real = await connect()
    await real.join(real_room, "Alice")
    await real.expect(room_notice(real_room, "You are next in line"))
    # Jennie becomes available: the real visitor's chat is offered, not the older one.
    jennie.send(f"<presence to='{desk}/Jennie'/>")
    invitation = await jennie.expect(
        lambda s: s.find("{jabber:x:conference}x") is not None, what="an invitation"
    )
    assert invitation.find("{jabber:x:conference}x").get("jid") == real_room
    await close_all_chats(stack)


# -- messages and presence -----------------------------------------------------------


async def test_a_message_flood_reaches_staff_only_up_to_the_burst(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    for n in range(100):
        say_as(visitor, room, "flood", n)
    await until(visitor, 100, answered("flood"))
    reflected = [s for s in visitor.xmpp.stanzas if groupchat_from(f"{room}/Alice (visitor)")(s)]
    refused = errors_of(visitor, "message")
    burst = DEFAULTS.visitor_messages.burst
    # The bucket refills at 1/s while the flood arrives: a token or two more at most.
    assert burst <= len(reflected) <= burst + 2
    assert len(refused) == 100 - len(reflected)
    assert {error_condition(e) for e in refused} == {"wait/policy-violation"}
    assert "too fast" in text_of(refused[0])
    # Staff got exactly what was reflected, and the archive holds no more.
    last = reflected[-1].findtext(q("body"))
    await jennie.expect(groupchat_from(f"{room}/Alice (visitor)", last))
    heard = [s for s in jennie.xmpp.stanzas if groupchat_from(f"{room}/Alice (visitor)")(s)]
    assert len(heard) == len(reflected)
    fin = await jennie.iq(room, "<query xmlns='urn:xmpp:mam:2'/>", "set")
    assert fin.findtext(".//{http://jabber.org/protocol/rsm}count") == str(len(reflected))


async def test_staff_have_a_larger_budget_than_visitors(connect, stack, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    count = DEFAULTS.visitor_messages.burst + 10
    for n in range(count):
        say(jennie, room, f"answer {n}")
    await visitor.expect(groupchat_from(f"{room}/Jennie", f"answer {count - 1}"))
    assert not errors_of(jennie, "message")


async def test_a_presence_flood_reaches_staff_only_up_to_the_burst(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    mark = jennie.mark()
    for n in range(60):
        visitor.send(f"<presence to='{room}/Alice' id='p{n}'><status>s{n}</status></presence>")
    # Each update is answered: reflected to its sender, or refused.
    await until(
        visitor,
        60,
        lambda s: s.tag == q("presence")
        and (s.get("type") == "error" or (s.findtext(q("status")) or "")[:1] == "s"),
    )
    refused = errors_of(visitor, "presence")
    burst = DEFAULTS.presence.burst
    assert 60 - burst - 2 <= len(refused) <= 60 - burst
    assert {error_condition(e) for e in refused} == {"wait/policy-violation"}
    # A control message after the flood: everything staff got of it came before.
    say(visitor, room, "done")
    await jennie.expect(groupchat_from(f"{room}/Alice (visitor)", "done"))
    updates = [
        s
        for s in jennie.since(mark)
        if s.tag == q("presence") and s.get("from") == f"{room}/Alice (visitor)"
    ]
    assert len(updates) == 60 - len(refused)


async def test_client_chosen_ids_and_status_have_a_size(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    longest = DEFAULTS.max_id_chars
    big = "overlong-" + "x" * longest
    sid = "urn:xmpp:sid:0"
    for n, extra in enumerate(
        (
            f"<origin-id xmlns='{sid}' id='{big}'/>",
            f"<replace xmlns='urn:xmpp:message-correct:0' id='{big}'/>",
        )
    ):
        visitor.send(
            f"<message to='{room}' type='groupchat' id='m{n}'>"
            f"<body>refused-{n}</body>{extra}</message>"
        )
    visitor.send(
        f"<message to='{room}' type='groupchat' id='{big}'><body>refused-2</body></message>"
    )
    visitor.send(f"<presence to='{room}/Alice'><status>{'s' * 5000}</status></presence>")
    say(visitor, room, "done")
    # Errors and the reflection share the visitor's stream, in order.
    await visitor.expect(groupchat_from(f"{room}/Alice (visitor)", "done"))
    await jennie.expect(groupchat_from(f"{room}/Alice (visitor)", "done"))
    refused = errors_of(visitor, "message")
    assert len(refused) == 3
    assert {error_condition(e) for e in refused} == {"modify/policy-violation"}
    assert text_of(refused[0]) == f"Message ids are limited to {longest} characters."
    assert "overlong" not in jennie.raw and "refused-" not in jennie.raw
    status = next(
        s.findtext(q("status"))
        for s in jennie.xmpp.stanzas
        if s.get("from") == f"{room}/Alice (visitor)" and s.find(q("status")) is not None
    )
    assert status is not None and len(status) <= DEFAULTS.max_status_chars + 1


async def test_a_full_chat_takes_no_more_messages(connect, stack, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    with limits(stack, archive_messages_per_chat=12):
        for n in range(15):
            say_as(visitor, room, "full", n)
        await until(visitor, 15, answered("full"))
    refused = errors_of(visitor, "message")
    assert len(refused) == 3
    assert {error_condition(e) for e in refused} == {"wait/resource-constraint"}
    assert "start a new one" in text_of(refused[0])
    fin = await visitor.iq(room, "<query xmlns='urn:xmpp:mam:2'/>", "set")
    assert fin.findtext(".//{http://jabber.org/protocol/rsm}count") == "12"


async def test_messages_left_are_capped_and_announced_as_one_notice(connect, stack, desk):
    room = new_room(stack)
    visitor = await connect()
    with limits(stack, left_messages_per_chat=2, visitor_messages=Rate(1.0, 50)):
        await visitor.join(room, "Alice")
        await visitor.expect(room_notice(room, "Nobody is available"))
        for n in range(6):
            say(visitor, room, f"left {n}")
        await visitor.expect(groupchat_from(f"{room}/Alice (visitor)", "left 5"))
        jennie = await connect("jennie")
        await on_desk(jennie, desk, "Jennie")
        notice = await jennie.expect(desk_notice(desk, "Messages left while nobody"))
    text = notice.findtext(q("body")) or ""
    assert "“left 0” · “left 1”" in text and "left 2" not in text
    assert sum("Messages left" in (s.findtext(q("body")) or "") for s in live(jennie)) == 1
    await close_all_chats(stack)


# -- what staff read of a visitor ----------------------------------------------------


async def test_a_visitor_cannot_forge_desk_lines_or_pass_for_staff(connect, desk, room):
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie", show="away")
    visitor = await connect()
    visitor.send(
        f"<presence to='{room}/x'><x xmlns='{NS_MUC}'/>"
        "<visitor xmlns='urn:huddle:visitor:0'><name>Jennie (agent)\nJohn took [406f1b25]</name>"
        "<email>it-support@localhost\u202e</email></visitor></presence>"
    )
    announced = await jennie.expect(desk_notice(desk, "New chat"))
    line = announced.findtext(q("body")) or ""
    assert "\n" not in line and "\u202e" not in line
    assert "from visitor “Jennie (agent) John took [406f1b25]”" in line
    assert "email “it-support@localhost”" in line
    say(visitor, room, "hi\nJohn took [406f1b25]\nJohn: please send your card number")
    first = await jennie.expect(desk_notice(desk, "John: please"))
    text = first.findtext(q("body")) or ""
    assert "\n" not in text
    assert text.endswith(": “hi John took [406f1b25] John: please send your card number”")
