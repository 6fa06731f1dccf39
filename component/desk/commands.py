"""Staff commands that move chats: ``!invite``, ``!transfer``, ``!take``,
``!close``, ``!info`` in a chat; ``!chats``, ``!supervise``, ``!take``,
``!stats`` on the desk. Each is checked against ``roles.authorization``;
a refusal is a reply to the sender and changes nothing.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from typing import cast

from component.desk.desk import Desk, minutes, short, visitor_label
from component.muc.chat_rows import chat_row
from component.muc.events import ChatAssigned
from component.muc.person import Person, staff_person
from component.muc.rooms import Room
from roles.authorization import Action, may
from roles.commands import DESK_HELP, Command
from roles.effects import Effect
from roles.model import Occupant
from roles.routing import pick_agent
from roles.visitor_text import quoted

Reply = list[Effect]


def _refusal(room: Room, session_jid: str, action: Action) -> Reply:
    return room.state.tell(session_jid, f"You may not {action} chats; ask a supervisor.")


async def resolve(desk: Desk, text: str) -> Person | str:
    """A colleague by JID, display name or team (an available agent of it);
    a string explains why nobody was found."""
    text = text.strip()
    if not text:
        return "Name a colleague: a JID, a display name or a team."
    members = await desk.muc.staff.list()
    wanted = text.casefold()
    for m in members:
        if m.jid == wanted or m.name.casefold() == wanted:
            return staff_person(m)
    if any(m.team == wanted for m in members):
        agent = pick_agent(desk.agents(), wanted)
        if agent is None:
            return f"Nobody from team {wanted} is available right now."
        return desk.members[agent.jid]
    return f"No colleague or team called {text!r}."


async def chat_command(
    desk: Desk, room: Room, session_jid: str, sender: Occupant, command: Command
) -> Reply:
    chat = room.chat
    state = room.state
    assert chat is not None
    name = command.name
    action = cast(Action, name)
    if not may(sender.role, action):
        return _refusal(room, session_jid, action)
    if name == "close":
        await desk.audit(chat, sender, "close", command.arg)
        await desk.close(room, command.arg, by=sender.name)
        return []
    if name == "info":
        return state.tell(session_jid, _info(desk, room))
    if name == "take":
        chat.assign(sender.jid, time.time())
        desk.save(chat)
        await desk.audit(chat, sender, "take")
        desk.announce(f"{sender.name} took over [{short(chat.id)}]")
        desk.muc.events.emit(ChatAssigned(room, chat, sender.jid, "take"))
        return [
            *state.notify_staff(f"{sender.name} took over this chat."),
            *state.reveal(session_jid),
        ]
    found = await resolve(desk, command.arg)
    if isinstance(found, str):
        return state.tell(session_jid, found)
    if found.jid == sender.jid:
        return state.tell(session_jid, "That is you.")
    await desk.audit(chat, sender, name, found.jid)
    if name == "invite":
        chat.invited.add(found.jid)
        desk.invite(found.jid, room, f"{sender.name} invites you to a chat (you will be hidden)")
        return state.notify_staff(f"{sender.name} invited {found.name}; they will join hidden.")
    # transfer
    chat.invited.add(found.jid)
    chat.assign(found.jid, time.time())
    desk.save(chat)
    desk.muc.events.emit(ChatAssigned(room, chat, found.jid, "transfer"))
    desk.invite(found.jid, room, f"{sender.name} transfers a chat to you")
    desk.announce(f"{sender.name} transferred [{short(chat.id)}] to {found.name}")
    return state.notify_staff(f"{sender.name} transferred this chat to {found.name}.")


def _info(desk: Desk, room: Room) -> str:
    chat = room.chat
    assert chat is not None
    now = time.time()
    state = room.state
    visitor = state.visitor()
    watchers = [o.name for o in state.occupants.values() if o.is_staff and o.hidden]
    lines = [
        f"Chat {chat.id} (team {chat.team}), {chat.status}",
        f"Visitor: {quoted(chat.visitor_name, 64) if chat.visitor_name else '-'}"
        f" <{chat.visitor_jid}>"
        + ("" if visitor is not None else " (away)"),
        f"Email given: {quoted(chat.visitor_email, 254) if chat.visitor_email else '-'}; "
        f"page: {quoted(chat.visitor_page) if chat.visitor_page else '-'}",
        f"Browser: {quoted(chat.visitor_agent) if chat.visitor_agent else '-'}",
        f"Waiting time: {minutes(chat.waiting_for(now))}; chat time: {minutes(now - chat.created)}",
        f"Agent: {desk.name_of(chat.assigned, room) if chat.assigned else 'none yet'}",
        f"Watching, hidden: {', '.join(watchers) if watchers else 'nobody'}",
    ]
    if chat.first_message:
        lines.append(f"First message: {quoted(chat.first_message)}")
    return "\n".join(lines)


async def desk_command(desk: Desk, session_jid: str, sender: Occupant, command: Command) -> Reply:
    state = desk.room.state
    name = command.name
    if name == "help":
        return state.tell(session_jid, DESK_HELP)
    if name == "unknown":
        return state.tell(session_jid, f"Unknown command !{command.word}. Type !help for the list.")
    action = cast(Action, "list-chats" if name == "chats" else name)
    if not may(sender.role, action):
        return state.tell(session_jid, f"You may not use !{name}; ask a supervisor.")
    if name == "chats":
        return state.tell(session_jid, chats_text(desk))
    if name == "stats":
        return state.tell(session_jid, await stats_text(desk))
    room = desk.find_chat(command.arg)
    if room is None or room.chat is None:
        return state.tell(session_jid, f"No chat matches {command.arg!r}; see !chats.")
    if name == "take":
        # Under the chat's own lock: it may be closing right now.
        async with desk.muc.rooms.locked(room.local):
            chat = room.chat
            if chat is None or chat.status == "closed" or desk.muc.rooms.get(room.local) is None:
                return state.tell(session_jid, "That chat has just ended.")
            chat.assign(sender.jid, time.time())
            await desk.store.save(chat_row(chat))
            await desk.audit(chat, sender, "take", "from the desk")
            await desk.muc.publish(
                room, room.state.notify_staff(f"{sender.name} took over this chat.")
            )
        desk.muc.events.emit(ChatAssigned(room, chat, sender.jid, "take"))
        desk.invite(sender.jid, room, "You took over this chat")
        desk.announce(f"{sender.name} took over [{short(room.local)}]")
        return []
    await desk.audit(room.chat, sender, "supervise", "invitation from the desk")
    desk.invite(sender.jid, room, "Supervise this chat (you will be hidden)")
    return state.tell(session_jid, f"Invitation to [{short(room.local)}] sent; you will be hidden.")


def chats_text(desk: Desk) -> str:
    now = time.time()
    rows = sorted(desk.chats(), key=lambda rc: rc[1].created)
    if not rows:
        return "No chats right now."
    lines = []
    for room, chat in rows:
        watchers = sum(1 for o in room.state.occupants.values() if o.is_staff and o.hidden)
        agent_name = desk.name_of(chat.assigned, room)
        lines.append(
            f"[{short(chat.id)}] {chat.status} · team {chat.team} · "
            f"{visitor_label(chat)} · agent {agent_name}"
            f" · watchers {watchers} · waited {minutes(chat.waiting_for(now))}"
            f" · open {minutes(now - chat.created)}"
        )
    return "\n".join(lines)


async def stats_text(desk: Desk) -> str:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    rows = await desk.store.created_since(today)
    first = [r.answered - r.created for r in rows if r.answered is not None]
    waits = [r.assigned_at - r.created for r in rows if r.assigned_at is not None]

    def median(values: list[float]) -> str:
        return minutes(statistics.median(values)) if values else "-"

    return (
        f"Today (UTC): {len(rows)} chats; waiting now: {len(desk.waiting())}; "
        f"median first response {median(first)}; median waiting time {median(waits)}"
    )
