"""Ad-hoc commands about chats (XEP-0050): ``list-chats``, ``supervise``,
``take`` and ``close`` — the desk's ``!chats``, ``!supervise``, ``!take`` and a
chat's ``!close``, for clients with a commands menu.

A chat is chosen from a list of the open ones. What the choice changes is done
under that room's lock, after checking again that the chat is still open.
Invitations go to the client that ran the command: it is the one that asked,
and it need not be on the desk.
"""

from __future__ import annotations

import time

from component.adhoc.flow import Ask, Done, Outcome, Request, Stage
from component.adhoc.forms import Answers, Field, Table, bad_payload
from component.desk.commands import chats_text
from component.desk.desk import Desk, minutes, short, visitor_label
from component.muc.events import ChatAssigned
from component.muc.rooms import Room
from component.muc.service import MucService, Person
from roles.chat import Chat
from roles.refusal import Refused
from roles.visitor_text import quoted

CHAT = "chat"
REASON = "reason"
MAX_REASON = 500  # the audit log keeps this much of it
COLUMNS = (
    ("chat", "Chat"),
    ("status", "Status"),
    ("team", "Team"),
    ("visitor", "Visitor"),
    ("agent", "Agent"),
    ("waited", "Waited"),
)


def open_chats(desk: Desk) -> list[tuple[Room, Chat]]:
    chats = [(room, chat) for room, chat in desk.chats() if chat.status != "closed"]
    return sorted(chats, key=lambda rc: rc[1].created)


def _agent(desk: Desk, room: Room, chat: Chat) -> str:
    return desk.name_of(chat.assigned, room) if chat.assigned else "none yet"


def _choose(
    desk: Desk, title: str, chats: list[tuple[Room, Chat]], then: Stage, *extra: Field
) -> Outcome:
    if not chats:
        return Done("No chats right now.")
    now = time.time()
    options = tuple(
        (
            chat.id,
            f"[{short(chat.id)}] {chat.status} · team {chat.team} · "
            f"{visitor_label(chat)} · agent {_agent(desk, room, chat)}"
            f" · open {minutes(now - chat.created)}",
        )
        for room, chat in chats
    )
    choice = Field(CHAT, "list-single", "Chat", options=options, required=True)
    return Ask(title, (choice, *extra), then)


def _open_room(muc: MucService, chat_id: str) -> tuple[Room, Chat]:
    room = muc.rooms.get(chat_id)
    if room is None or room.chat is None or room.chat.status == "closed":
        raise Refused("item-not-found", f"No open chat {chat_id!r}; it may have ended.")
    return room, room.chat


# -- list-chats ---------------------------------------------------------------------


async def list_chats(request: Request) -> Outcome:
    desk = request.desk
    now = time.time()
    rows = tuple(
        {
            "chat": chat.id,
            "status": chat.status,
            "team": chat.team,
            "visitor": quoted(chat.visitor_name, 64) if chat.visitor_name else "-",
            "agent": _agent(desk, room, chat),
            "waited": minutes(chat.waiting_for(now)),
        }
        for room, chat in open_chats(desk)
    )
    return Done(chats_text(desk), Table(COLUMNS, rows), "Chats")


# -- supervise ------------------------------------------------------------------------


async def supervise(request: Request) -> Outcome:
    desk = request.desk
    return _choose(desk, "Supervise a chat, hidden", open_chats(desk), _supervise)


async def _supervise(request: Request, answers: Answers) -> Outcome:
    muc = request.muc
    _room, chat = _open_room(muc, answers.required(CHAT, "chat"))
    await muc.audit(chat.id, request.person.jid, "supervise", "ad-hoc command")
    muc.door.invite(
        request.session_jid, muc.room_jid(chat.id), "Supervise this chat (you will be hidden)"
    )
    return Done(f"Invitation to [{short(chat.id)}] sent; you will be hidden.")


# -- take -------------------------------------------------------------------------------


async def take(request: Request) -> Outcome:
    desk = request.desk
    return _choose(desk, "Take over a chat", open_chats(desk), _take)


async def _take(request: Request, answers: Answers) -> Outcome:
    chat_id = answers.required(CHAT, "chat")
    muc, person = request.muc, request.person
    async with muc.rooms.locked(chat_id):
        room, chat = _open_room(muc, chat_id)
        await muc.audit(chat.id, person.jid, "take", "ad-hoc command")
        chat.assign(person.jid, time.time())
        request.desk.save(chat)
        request.desk.announce(f"{person.name} took over [{short(chat.id)}]")
        muc.events.emit(ChatAssigned(room, chat, person.jid, "take"))
        # Staff in the chat learn who has it now; the visitor sees the new agent join.
        await muc.publish(room, room.state.notify_staff(f"{person.name} took over this chat."))
    muc.door.invite(request.session_jid, room.state.jid, "You took over this chat")
    return Done(
        f"[{short(chat.id)}] is yours; an invitation was sent. "
        "If you are in it hidden, type !reveal there to show yourself."
    )


# -- close ------------------------------------------------------------------------------


def may_close(person: Person, room: Room, chat: Chat) -> bool:
    """Supervisors and admins may close any chat; an agent one they are in or
    may enter (waiting, offered, assigned or invited), as ``!close`` allows."""
    if room.state.person(person.jid) is not None:
        return True
    try:
        chat.may_enter(person.jid, person.role)
    except Refused:
        return False
    return True


async def close(request: Request) -> Outcome:
    desk = request.desk
    chats = [(r, c) for r, c in open_chats(desk) if may_close(request.person, r, c)]
    reason = Field(REASON, "text-single", "Reason (optional; the visitor sees it)")
    return _choose(desk, "Close a chat", chats, _close, reason)


async def _close(request: Request, answers: Answers) -> Outcome:
    chat_id = answers.required(CHAT, "chat")
    reason = answers.text(REASON, "reason")
    if len(reason) > MAX_REASON:
        raise bad_payload(f"reason: at most {MAX_REASON} characters, got {len(reason)}")
    muc, person = request.muc, request.person
    async with muc.rooms.locked(chat_id):
        room, chat = _open_room(muc, chat_id)
        if not may_close(person, room, chat):
            raise Refused(
                "forbidden", "You may close only chats you are in or were offered.", "auth"
            )
        await request.desk.close(room, reason, by=person.name)
        await muc.audit(chat.id, person.jid, "close", reason)
    return Done(f"[{short(chat_id)}] closed.")
