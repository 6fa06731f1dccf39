"""Who may do what (DESIGN §2), end to end: every chat command, desk command and
ad-hoc command, tried by a visitor, an agent, a supervisor, an admin and a
stranger (an account on the staff domain who is not in the staff directory).
Each is done, or refused with a clear answer that changes nothing."""

from __future__ import annotations

import itertools
import secrets

import pytest

from tests.integration.adhoc_client import (
    ALL_COMMANDS,
    RUNNABLE,
    error_text,
    execute,
    rows,
    run,
    sessionid,
    status,
)
from tests.integration.client import error_condition, groupchat_from, presence_from, q
from tests.integration.desk_helpers import desk_notice, invitation_to, on_desk, room_notice, say
from tests.integration.people import NAMES, ROLES, STAFF

pytestmark = pytest.mark.integration
# DESIGN §2 written out: taking chats over and supervising from the desk are
# for supervisors and admins; every other staff command is for all staff.
TAKERS = {"supervisor", "admin"}
_ids = itertools.count(1)
# In a chat, the agent acting is Josh, invited by Jennie (the chat's agent), so
# that what he may not do would visibly change the chat if it happened.
ACTORS = {"agent": ("josh", "Josh"), "supervisor": ("john", "John"), "admin": ("admin", "Admin")}
CHAT_COMMANDS = (
    "!invite jennie@localhost",
    "!transfer jennie@localhost",
    "!take",
    "!close done",
    "!info",
    "!w psst",
    "!reveal",
    "!hide",
)
DESK_COMMANDS = ("!chats", "!supervise {chat}", "!take {chat}", "!stats")


async def chat_with_agent(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    await visitor.expect(presence_from(f"{room}/Jennie"))
    return visitor, jennie


async def assert_unchanged(visitor, jennie, room, sent, hidden=""):
    """Jennie is still the chat's agent, the chat is open, and neither the command
    nor the hidden person who sent it reached the visitor."""
    say(jennie, room, "!info")
    info = (await jennie.expect(room_notice(room, "Chat chat-"))).findtext(q("body"))
    assert "Agent: Jennie" in info and "(away)" not in info, info
    say(jennie, room, "sync")
    await visitor.expect(groupchat_from(f"{room}/Jennie", "sync"))
    assert sent not in visitor.raw
    assert not hidden or f"{room}/{hidden}" not in visitor.raw


def send_for_error(client, to, text):
    """Send a groupchat message; the matcher for the error that must answer it."""
    mid = f"authz{next(_ids)}"
    client.send(f"<message id='{mid}' to='{to}' type='groupchat'><body>{text}</body></message>")
    return lambda s: s.get("id") == mid and s.get("type") == "error"


def destroy_reason(presence):
    user = "http://jabber.org/protocol/muc#user"
    return presence.findtext(f"{q('x', user)}/{q('destroy', user)}/{q('reason', user)}")


# -- chat commands --------------------------------------------------------------------


@pytest.mark.parametrize("text", CHAT_COMMANDS)
async def test_a_visitors_commands_are_ordinary_text(connect, room, text):
    visitor, jennie = await chat_with_agent(connect, room)
    me = f"{room}/Alice (visitor)"
    say(visitor, room, text)
    await visitor.expect(groupchat_from(me, text))
    await jennie.expect(groupchat_from(me, text))
    say(jennie, room, "!info")
    info = (await jennie.expect(room_notice(room, "Chat chat-"))).findtext(q("body"))
    assert "Agent: Jennie" in info and "Watching, hidden: nobody" in info
    assert "(away)" not in info  # not closed: the visitor is still in it


@pytest.mark.parametrize("text", CHAT_COMMANDS)
@pytest.mark.parametrize("who", STAFF)
async def test_staff_chat_commands(connect, room, who, text):
    visitor, jennie = await chat_with_agent(connect, room)
    user, name = ACTORS[who]
    if who == "agent":
        say(jennie, room, "!invite josh")
        await jennie.expect(room_notice(room, "Jennie invited Josh"))
    actor = await connect(user)
    await actor.join(room, name)
    await jennie.expect(room_notice(room, f"{name} is supervising this chat"))
    say(actor, room, text)
    me = f"{room}/{name}"
    word = text.split()[0]
    if word == "!take" and who not in TAKERS:
        await actor.expect(room_notice(room, "You may not take chats; ask a supervisor."))
        await assert_unchanged(visitor, jennie, room, text, hidden=name)
        return
    if word == "!close":
        gone = await visitor.expect(presence_from(f"{room}/Alice (visitor)", "unavailable"))
        assert destroy_reason(gone) == "done"
        return
    if word in ("!reveal", "!take"):
        await visitor.expect(presence_from(me))  # shown to the visitor now
    expected = {
        "!invite": f"{name} invited Jennie",
        "!transfer": f"{name} transferred this chat to Jennie",
        "!take": f"{name} took over this chat.",
        "!info": "Watching, hidden: " + name,
        "!w": "[whisper] psst",
        "!hide": "You are already hidden from the visitor.",
    }
    if word in expected:
        await actor.expect(
            lambda s: expected[word] in (s.findtext(q("body")) or ""), what=expected[word]
        )
    say(jennie, room, "sync")
    await visitor.expect(groupchat_from(f"{room}/Jennie", "sync"))
    assert text not in visitor.raw and "psst" not in visitor.raw


async def test_a_stranger_can_neither_join_a_chat_nor_command_it(connect, login, room):
    visitor, jennie = await chat_with_agent(connect, room)
    stranger = await login("stranger")
    got = await stranger.join(room, "Eve")
    assert error_condition(got[-1]) == "auth/registration-required"
    for text in CHAT_COMMANDS:
        error = await stranger.expect(send_for_error(stranger, room, text))
        assert error_condition(error) == "modify/not-acceptable"
    await assert_unchanged(visitor, jennie, room, "!close done")
    assert not [s for s in jennie.xmpp.stanzas if s.get("from", "").endswith("/Eve")]


# -- desk commands --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["visitor", "stranger"])
async def test_visitors_and_strangers_cannot_reach_the_desk(login, desk, who):
    client = await login(who)
    got = await client.join(desk, "Eve")
    assert error_condition(got[-1]) == "auth/registration-required"
    for text in DESK_COMMANDS:
        error = await client.expect(send_for_error(client, desk, text.format(chat="abcd")))
        assert error_condition(error) == "modify/not-acceptable"


@pytest.mark.parametrize("command", DESK_COMMANDS)
@pytest.mark.parametrize("who", STAFF)
async def test_staff_desk_commands(connect, login, desk, room, who, command):
    visitor = await connect()
    await visitor.join(room, "Alice")
    chat = room.split("@")[0].removeprefix("chat-")[:8]
    actor = await login(who)
    name = NAMES[who]
    await on_desk(actor, desk, name)
    text = command.format(chat=chat)
    word = text.split()[0].removeprefix("!")
    mark = actor.mark()
    say(actor, desk, text)
    if word in ("supervise", "take") and who not in TAKERS:
        await actor.expect(desk_notice(desk, f"You may not use !{word}; ask a supervisor."))
        assert not [s for s in actor.since(mark) if invitation_to(room)(s)]
        say(actor, desk, "!chats")
        await actor.expect(desk_notice(desk, f"[{chat}] waiting"))  # still nobody's
        return
    expected = {
        "chats": f"[{chat}] waiting",
        "stats": "Today (UTC):",
        "supervise": f"Invitation to [{chat}] sent",
        "take": f"{name} took over [{chat}]",
    }
    await actor.expect(desk_notice(desk, expected[word]))
    if word in ("supervise", "take"):
        assert [s for s in actor.since(mark) if invitation_to(room)(s)]


# -- ad-hoc commands ------------------------------------------------------------------


@pytest.mark.parametrize("node", sorted(ALL_COMMANDS))
@pytest.mark.parametrize("who", ROLES)
async def test_adhoc_commands(login, stack, who, node):
    client = await login(who)
    reply = await execute(client, stack.info.service, node)
    if node in RUNNABLE[who]:
        assert reply.get("type") == "result"
        assert status(reply) in ("executing", "completed")
    else:
        assert error_condition(reply) == "auth/forbidden"
        assert "You may not run" in error_text(reply)


@pytest.mark.parametrize("who", ["visitor", "agent", "supervisor", "stranger"])
async def test_an_admins_session_is_no_use_to_anyone_else(connect, login, stack, who):
    """Someone who is not an admin, holding an admin's remove-staff session, can
    remove nobody: the role is checked on every stage."""
    service = stack.info.service
    admin = await connect("admin")
    tag = secrets.token_hex(4)
    temp = {"jid": f"temp-{tag}@localhost", "name": f"Temp {tag}", "role": "agent"}
    added = await run(admin, service, "add-staff", {**temp, "team": "support", "max_chats": "1"})
    assert status(added) == "completed"
    form = await execute(admin, service, "remove-staff")
    thief = await login(who)
    reply = await execute(
        thief, service, "remove-staff", sessionid=sessionid(form), fields={"jid": temp["jid"]}
    )
    assert error_condition(reply) == "auth/forbidden"
    staff = rows(await execute(admin, service, "list-staff"))
    assert temp["jid"] in {r["jid"] for r in staff}
    done = await execute(
        admin, service, "remove-staff", sessionid=sessionid(form), fields={"jid": temp["jid"]}
    )
    assert status(done) == "completed"
