"""Coaching: a supervisor approves a trainee's answers before the visitor reads them.

Alice (visitor) chats with Jennie (agent); John (supervisor) watches hidden and
coaches Jennie. Jennie's answers are drafts only staff see until John says
``!ok``, ``!edit`` or ``!no``; the visitor receives approved answers as
Jennie's own, and nothing else: no draft, no verdict, no trace of John.
"""

from __future__ import annotations

import random
from xml.etree import ElementTree as ET

import pytest

from roles.coaching import CoachingPolicy
from tests.integration.client import Client, groupchat_from, presence_from, q
from tests.integration.desk_helpers import configured, room_notice, say
from tests.integration.supervision import Supervised, supervised_chat

pytestmark = pytest.mark.integration
MAM = "urn:xmpp:mam:2"
FORWARD = "urn:xmpp:forward:0"


def draft_of(room: str, number: int, text: str):
    return groupchat_from(f"{room}/Jennie", f"[draft {number}, awaiting approval: "
                          f"!ok {number} · !edit {number} … · !no {number}] {text}")


async def coached(connect, room: str) -> Supervised:
    chat = await supervised_chat(connect, room)
    say(chat.john, room, "!coach Jennie")
    await chat.agent.expect(room_notice(room, "John is coaching Jennie"))
    return chat


async def settle(chat: Supervised) -> None:
    """Once the visitor has her own message back, the room has dealt with all
    that came before it (one room, one order)."""
    say(chat.visitor, chat.room, "sync")
    await chat.visitor.expect(groupchat_from(chat.visitor_nick, "sync"))


def bodies_from(client: Client, sender: str) -> list[str]:
    out = []
    for s in client.xmpp.stanzas:
        body = s.find(q("body"))
        if s.tag == q("message") and s.get("from") == sender and body is not None:
            out.append(body.text or "")
    return out


async def visitor_archive(chat: Supervised) -> list[str]:
    """The visitor's MAM view of the chat: every body, in order."""
    mark = chat.visitor.mark()
    reply = await chat.visitor.iq(chat.room, f"<query xmlns='{MAM}' queryid='v'/>", "set")
    assert reply.get("type") == "result", ET.tostring(reply)
    found = []
    for s in chat.visitor.since(mark):
        result = s.find(f"{{{MAM}}}result")
        if result is None:
            continue
        inner = result.find(f"{{{FORWARD}}}forwarded/{q('message')}")
        body = inner.find(q("body")) if inner is not None else None
        if body is not None:
            found.append(body.text or "")
    return found


async def test_only_approved_answers_reach_the_visitor_as_the_agents_own(connect, room):
    chat = await coached(connect, room)
    say(chat.agent, room, "Hi Alice, your parcel is lost")
    await chat.john.expect(draft_of(room, 1, "Hi Alice, your parcel is lost"))
    say(chat.john, room, "!edit 1 Hi Alice, let me check where your parcel is")
    approved = await chat.visitor.expect(
        groupchat_from(f"{room}/Jennie", "Hi Alice, let me check where your parcel is")
    )
    assert approved.find(q("body")) is not None
    await chat.agent.expect(room_notice(room, "John changed draft 1 of Jennie before sending it"))

    say(chat.agent, room, "It is in Lyon.")
    await chat.john.expect(draft_of(room, 2, "It is in Lyon."))
    say(chat.agent, room, "You will get it on Monday.")
    await chat.john.expect(draft_of(room, 3, "You will get it on Monday."))
    say(chat.john, room, "!no 2 we do not share depot names")
    await chat.agent.expect(room_notice(room, "John rejected draft 2: we do not share depot names"))
    say(chat.john, room, "!ok")  # the newest: 3
    await chat.visitor.expect(groupchat_from(f"{room}/Jennie", "You will get it on Monday."))
    await chat.agent.expect(room_notice(room, "John approved draft 3."))

    await settle(chat)
    jennie = f"{room}/Jennie"
    expected = ["Hi Alice, let me check where your parcel is", "You will get it on Monday."]
    assert bodies_from(chat.visitor, jennie)[: len(expected)] == expected
    raw = chat.visitor.raw
    for secret in ("draft", "parcel is lost", "Lyon", "depot", "approved", "John"):
        assert secret not in raw, f"{secret!r} reached the visitor"
    assert (await visitor_archive(chat))[-3:-1] == expected


async def test_corrections_and_reactions_to_drafts_stay_with_staff(connect, room):
    chat = await coached(connect, room)
    chat.agent.send(
        f"<message to='{room}' type='groupchat' id='d1'><body>Your refnd is ready</body></message>"
    )
    draft = await chat.john.expect(draft_of(room, 1, "Your refnd is ready"))
    chat.agent.send(
        f"<message to='{room}' type='groupchat' id='d1b'><body>Your refund is ready</body>"
        "<replace xmlns='urn:xmpp:message-correct:0' id='d1'/></message>"
    )
    await chat.john.expect(room_notice(room, "Jennie revised draft 1"))
    stanza_id = draft.find("{urn:xmpp:sid:0}stanza-id").get("id")
    chat.john.send(
        f"<message to='{room}' type='groupchat'><reactions xmlns='urn:xmpp:reactions:0' "
        f"id='{stanza_id}'><reaction>👎</reaction></reactions></message>"
    )
    await chat.agent.expect(lambda s: s.find("{urn:xmpp:reactions:0}reactions") is not None)
    say(chat.john, room, "!ok 1")
    await chat.visitor.expect(groupchat_from(f"{room}/Jennie", "Your refund is ready"))
    await settle(chat)
    raw = chat.visitor.raw
    assert "refnd" not in raw and "reactions" not in raw and "replace" not in raw


async def test_history_and_the_archive_hold_only_approved_answers(connect, room):
    chat = await coached(connect, room)
    say(chat.agent, room, "first try")
    await chat.john.expect(draft_of(room, 1, "first try"))
    say(chat.john, room, "!no")
    await chat.agent.expect(room_notice(room, "John rejected draft 1"))
    say(chat.agent, room, "Hello Alice!")
    await chat.john.expect(draft_of(room, 2, "Hello Alice!"))
    say(chat.john, room, "!ok 2")
    await chat.visitor.expect(groupchat_from(f"{room}/Jennie", "Hello Alice!"))
    # Alice leaves and comes back (a reload): the room's history is her view too.
    chat.visitor.send(f"<presence to='{room}/Alice' type='unavailable'/>")
    await chat.visitor.expect(presence_from(chat.visitor_nick, "unavailable"))
    mark = chat.visitor.mark()
    joined = await chat.visitor.join(room, "Alice")
    history = [s.find(q("body")).text for s in joined if s.find(q("body")) is not None]
    assert "Hello Alice!" in history
    back = "".join(ET.tostring(s, encoding="unicode") for s in chat.visitor.since(mark))
    assert "first try" not in back and "draft" not in back
    assert "first try" not in "".join(await visitor_archive(chat))


async def test_typing_from_a_coached_agent_reaches_the_visitor(connect, room):
    chat = await coached(connect, room)
    chat.agent.send(
        f"<message to='{room}' type='groupchat'>"
        "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>"
    )
    typing = await chat.visitor.expect(
        lambda s: s.get("from") == f"{room}/Jennie"
        and s.find("{http://jabber.org/protocol/chatstates}composing") is not None
    )
    assert typing.find(q("body")) is None


async def test_only_supervisors_coach_and_decide(connect, room):
    chat = await coached(connect, room)
    say(chat.agent, room, "draft by Jennie")
    await chat.agent.expect(draft_of(room, 1, "draft by Jennie"))
    say(chat.agent, room, "!ok 1")
    await chat.agent.expect(room_notice(room, "Only supervisors may use !ok."))
    say(chat.john, room, "!ok 7")
    await chat.john.expect(room_notice(room, "No draft 7; waiting: 1."))
    say(chat.john, room, "!coach off")
    # Ending coaching sends what was waiting as written, and answers are plain again.
    await chat.visitor.expect(groupchat_from(f"{room}/Jennie", "draft by Jennie"))
    say(chat.agent, room, "now straight through")
    await chat.visitor.expect(groupchat_from(f"{room}/Jennie", "now straight through"))


@pytest.mark.parametrize("unattended", ["send", "wait"])
async def test_a_draft_nobody_decides_on_is_sent_or_keeps_waiting_by_setting(
    stack, connect, room, unattended
):
    with configured(stack, coaching=CoachingPolicy(0.3, unattended)):  # type: ignore[arg-type]
        chat = await coached(connect, room)
        say(chat.agent, room, "waiting for John")
        await chat.john.expect(draft_of(room, 1, "waiting for John"))
        if unattended == "send":
            await chat.visitor.expect(groupchat_from(f"{room}/Jennie", "waiting for John"))
            await chat.agent.expect(room_notice(room, "Draft 1 was sent as written"))
        else:
            await chat.agent.expect(room_notice(room, "Draft 1 is still waiting"))
            await settle(chat)
            assert "waiting for John" not in chat.visitor.raw


async def test_with_no_supervisor_present_a_coached_agent_speaks_directly(stack, connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    assert stack.huddle is not None and stack.huddle.muc is not None
    stack.huddle.muc.rooms.get(room.split("@")[0]).coaching.coached.add(jennie.bare)
    say(jennie, room, "Nobody watches, so this goes out")
    await visitor.expect(groupchat_from(f"{room}/Jennie", "Nobody watches, so this goes out"))


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_visitors_transcript_is_the_approved_answers_in_order(connect, room, seed):
    """Property: whatever mix of drafts, approvals, edits and rejections, the
    visitor receives exactly the approved texts, in the order they were approved."""
    rng = random.Random(seed)
    chat = await coached(connect, room)
    pending: list[tuple[int, str]] = []
    approved: list[str] = []
    number = 0
    for step in range(14):
        if not pending or rng.random() < 0.45:
            number += 1
            text = f"answer {seed}.{step}"
            say(chat.agent, room, text)
            await chat.john.expect(draft_of(room, number, text))
            pending.append((number, text))
            continue
        n, text = pending.pop(rng.randrange(len(pending)))
        verdict = rng.choice(["ok", "edit", "no"])
        if verdict == "ok":
            say(chat.john, room, f"!ok {n}")
            approved.append(text)
            await chat.agent.expect(room_notice(room, f"John approved draft {n}."))
        elif verdict == "edit":
            edited = f"edited {seed}.{step}"
            say(chat.john, room, f"!edit {n} {edited}")
            approved.append(edited)
            await chat.agent.expect(room_notice(room, f"John changed draft {n}"))
        else:
            say(chat.john, room, f"!no {n}")
            await chat.agent.expect(room_notice(room, f"John rejected draft {n}"))
    await settle(chat)
    received = bodies_from(chat.visitor, f"{room}/Jennie")
    assert received == approved
    assert (await visitor_archive(chat)) == [*approved, "sync"]
