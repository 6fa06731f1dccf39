"""XEP-0050 ad-hoc commands at the service JID: discovery per role, the chat
commands end to end, and the protocol's edges (cancel, sessions, bad input)."""

from __future__ import annotations

import pytest

from tests.integration.adhoc_client import (
    NS_COMMANDS,
    NS_DATA,
    NS_INFO,
    NS_ITEMS,
    RUNNABLE,
    app_condition,
    command,
    error_text,
    execute,
    form,
    listed,
    note,
    options,
    rows,
    run,
    sessionid,
    status,
)
from tests.integration.client import codes, error_condition, groupchat_from, presence_from, q
from tests.integration.desk_helpers import invitation_to, room_notice, say

pytestmark = pytest.mark.integration


def features(reply):
    return {f.get("var") for f in reply.iter(q("feature", NS_INFO))}


def identity(reply):
    found = reply.find(f"{q('query', NS_INFO)}/{q('identity', NS_INFO)}")
    return found.get("category"), found.get("type")


@pytest.mark.parametrize("who", sorted(RUNNABLE))
async def test_the_command_list_shows_what_the_requester_may_run(login, stack, who):
    client = await login(who)
    assert await listed(client, stack.info.service) == RUNNABLE[who]


async def test_the_service_advertises_commands_and_describes_each(login, stack):
    service = stack.info.service
    john = await login("supervisor")
    info = await john.iq(service, f"<query xmlns='{NS_INFO}'/>")
    assert NS_COMMANDS in features(info)
    listing = await john.iq(service, f"<query xmlns='{NS_INFO}' node='{NS_COMMANDS}'/>")
    assert identity(listing) == ("automation", "command-list")
    take = await john.iq(service, f"<query xmlns='{NS_INFO}' node='take'/>")
    assert identity(take) == ("automation", "command-node")
    assert {NS_COMMANDS, NS_DATA} <= features(take)
    # An agent may not take chats: for her the node does not exist.
    jennie = await login("agent")
    reply = await jennie.iq(service, f"<query xmlns='{NS_INFO}' node='take'/>")
    assert error_condition(reply) == "cancel/item-not-found"
    reply = await john.iq(service, f"<query xmlns='{NS_INFO}' node='no-such-node'/>")
    assert error_condition(reply) == "cancel/item-not-found"


async def test_list_chats_shows_waiting_and_active_chats(connect, desk, stack, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    chat_id = room.split("@")[0]
    jennie = await connect("jennie")
    reply = await execute(jennie, stack.info.service, "list-chats")
    assert status(reply) == "completed"
    [row] = [r for r in rows(reply) if r["chat"] == chat_id]
    assert (row["status"], row["visitor"], row["agent"]) == ("waiting", "“Alice”", "none yet")
    # One short read-only field per chat, which Gajim, poezio and Converse.js show.
    table = form(reply)
    assert table.get("type") == "result" and table.find(q("reported", NS_DATA)) is None
    field = next(f for f in table.findall(q("field", NS_DATA)) if f.get("label") == chat_id)
    assert field.get("type") == "text-single"
    assert field.findtext(q("value", NS_DATA)).startswith("Status: waiting · Team: support · ")
    assert note(reply) == ""  # no note beside the form: poezio would lose it


async def test_list_chats_with_no_chats_is_a_note(connect, desk, stack):
    jennie = await connect("jennie")
    reply = await execute(jennie, stack.info.service, "list-chats")
    assert note(reply) == "No chats right now." and rows(reply) == []


async def test_supervise_sends_an_invitation_to_watch_hidden(connect, desk, stack, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    chat_id = room.split("@")[0]
    john = await connect("john")
    form = await execute(john, stack.info.service, "supervise")
    assert status(form) == "executing" and chat_id in options(form, "chat")
    done = await execute(
        john, stack.info.service, "supervise", sessionid=sessionid(form), fields={"chat": chat_id}
    )
    assert status(done) == "completed" and "you will be hidden" in note(done)
    await john.expect(invitation_to(room))
    await john.join(room, "John")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    await visitor.expect(presence_from(f"{room}/Jennie"))
    assert "John" not in visitor.raw


async def test_take_assigns_the_chat_and_tells_its_staff(connect, desk, stack, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    john = await connect("john")
    done = await run(john, stack.info.service, "take", {"chat": room.split("@")[0]})
    assert status(done) == "completed" and "is yours" in note(done)
    await jennie.expect(room_notice(room, "John took over this chat."))
    await john.expect(invitation_to(room))
    await john.join(room, "John")
    await visitor.expect(presence_from(f"{room}/John"))  # the agent now, so visible
    say(jennie, room, "!info")
    info = await jennie.expect(room_notice(room, "Chat chat-"))
    assert "Agent: John" in info.findtext(q("body"))


async def test_close_ends_the_chat_with_the_reason(connect, desk, stack, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    chat_id = room.split("@")[0]
    fields = {"chat": chat_id, "reason": "Solved, thanks"}
    done = await run(jennie, stack.info.service, "close", fields)
    assert status(done) == "completed"
    gone = await visitor.expect(presence_from(f"{room}/Alice (visitor)", "unavailable"))
    user = "http://jabber.org/protocol/muc#user"
    assert gone.findtext(f"{q('x', user)}/{q('destroy', user)}/{q('reason', user)}") == (
        "Solved, thanks"
    )
    listing = await execute(jennie, stack.info.service, "list-chats")
    assert chat_id not in {r["chat"] for r in rows(listing)}


async def test_an_agent_closes_only_chats_she_could_join(connect, desk, stack, room):
    """Josh is offered the waiting chat, not Jennie's active one; submitting hers
    anyway is forbidden and changes nothing."""
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    waiting = room.replace("@", "-2@")
    await (await connect()).join(waiting, "Bob")
    josh = await connect("josh")
    form = await execute(josh, stack.info.service, "close")
    assert set(options(form, "chat")) == {waiting.split("@")[0]}
    reply = await execute(
        josh, stack.info.service, "close", sessionid=sessionid(form), fields={"chat": room}
    )
    assert error_condition(reply) == "cancel/item-not-found"  # a JID is not a chat id
    chat_id = room.split("@")[0]
    reply = await execute(
        josh, stack.info.service, "close", sessionid=sessionid(form), fields={"chat": chat_id}
    )
    assert error_condition(reply) == "auth/forbidden"
    say(jennie, room, "still open")
    await visitor.expect(groupchat_from(f"{room}/Jennie", "still open"))


async def test_a_chat_that_ended_cannot_be_chosen(connect, desk, stack, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    john = await connect("john")
    form = await execute(john, stack.info.service, "take")
    await run(john, stack.info.service, "close", {"chat": room.split("@")[0]})
    reply = await execute(
        john,
        stack.info.service,
        "take",
        sessionid=sessionid(form),
        fields={"chat": room.split("@")[0]},
    )
    assert error_condition(reply) == "cancel/item-not-found"


async def test_cancel_ends_the_session(connect, stack):
    service = stack.info.service
    admin = await connect("admin")
    form = await execute(admin, service, "add-staff")
    sid = sessionid(form)
    canceled = await execute(admin, service, "add-staff", action="cancel", sessionid=sid)
    assert status(canceled) == "canceled" and sessionid(canceled) == sid
    fields = {"jid": "late@localhost", "name": "Late", "role": "agent", "team": "support"}
    reply = await execute(admin, service, "add-staff", sessionid=sid, fields=fields)
    assert error_condition(reply) == "modify/bad-request"
    assert app_condition(reply) == "bad-sessionid"
    staff = await execute(admin, service, "list-staff")
    assert "late@localhost" not in {r["jid"] for r in rows(staff)}


async def test_sessions_belong_to_their_client_and_command(connect, stack):
    """A sessionid is good only for the client that got it, and for its command:
    not for the same admin's other client, nor for another command."""
    service = stack.info.service
    admin = await connect("admin")
    sid = sessionid(await execute(admin, service, "edit-staff"))
    assert sid
    other_client = await connect("admin")
    for client, node in ((other_client, "edit-staff"), (admin, "remove-staff")):
        reply = await execute(client, service, node, sessionid=sid, fields={"jid": "x@localhost"})
        assert (error_condition(reply), app_condition(reply)) == (
            "modify/bad-request",
            "bad-sessionid",
        )
    reply = await execute(admin, service, "edit-staff", sessionid="made-up", fields={})
    assert app_condition(reply) == "bad-sessionid"
    # The session itself is still good for its owner.
    reply = await execute(
        admin, service, "edit-staff", sessionid=sid, fields={"jid": "josh@localhost"}
    )
    assert status(reply) == "executing" and options(reply, "role")


async def test_protocol_errors(connect, stack):
    service = stack.info.service
    admin = await connect("admin")
    reply = await execute(admin, service, "no-such-command")
    assert error_condition(reply) == "cancel/item-not-found"
    reply = await execute(admin, service, "list-chats", action="dance")
    assert (error_condition(reply), app_condition(reply)) == (
        "modify/bad-request",
        "malformed-action",
    )
    form = await execute(admin, service, "add-staff")
    reply = await execute(admin, service, "add-staff", action="prev", sessionid=sessionid(form))
    assert (error_condition(reply), app_condition(reply)) == ("modify/bad-request", "bad-action")
    reply = await execute(admin, service, "add-staff", sessionid=sessionid(form))
    assert app_condition(reply) == "bad-payload" and "Submit the form" in error_text(reply)
    assert command(form).find(q("actions", NS_COMMANDS)).get("execute") == "complete"


async def test_staff_run_commands_from_a_rooms_menu(connect, desk, stack, room):
    """Clients offer "Execute command" in a room's menu and ask the room (Gajim)."""
    jennie = await connect("jennie")
    assert await listed(jennie, desk) == RUNNABLE["agent"]
    items = await jennie.iq(desk, f"<query xmlns='{NS_ITEMS}' node='{NS_COMMANDS}'/>")
    assert {i.get("jid") for i in items.iter(q("item", NS_ITEMS))} == {desk}
    info = await jennie.iq(desk, f"<query xmlns='{NS_INFO}'/>")
    assert NS_COMMANDS in {f.get("var") for f in info.iter(q("feature", NS_INFO))}
    visitor = await connect()
    await visitor.join(room, "Alice")
    reply = await execute(jennie, room, "list-chats")
    assert status(reply) == "completed" and room.split("@")[0] in {r["chat"] for r in rows(reply)}
    # The visitor sees no commands in her own chat, nor any sign of them.
    info = await visitor.iq(room, f"<query xmlns='{NS_INFO}'/>")
    assert NS_COMMANDS not in {f.get("var") for f in info.iter(q("feature", NS_INFO))}
    refused = await visitor.iq(room, f"<query xmlns='{NS_ITEMS}' node='{NS_COMMANDS}'/>")
    assert refused.get("type") == "error"
    assert error_text(refused) == "No such node."


async def test_staff_learn_the_nick_they_will_get(connect, room):
    """XEP-0045 §7.12: Converse.js asks, joins with it, and is not told it changed."""
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    reply = await jennie.iq(room, f"<query xmlns='{NS_INFO}' node='x-roomuser-item'/>")
    identity = reply.find(f"{q('query', NS_INFO)}/{q('identity', NS_INFO)}")
    assert identity.get("name") == "Jennie"
    got = await jennie.join(room, "Jennie")
    assert not any("210" in codes(s) for s in got)
