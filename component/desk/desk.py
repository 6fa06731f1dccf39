"""The staff desk: new chats are announced and offered, waiting visitors are
told their place in line, and chats end.

The desk room ``desk@<service>`` is a staff-only room; a staff member's
presence there, with its show value, is their availability for routing.
XEP-0249 direct invitations carry offers, invitations and transfers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any

from component.addressing import DESK
from component.config import Config
from component.muc.chat_rows import chat_row
from component.muc.content import Content, new_stanza_id
from component.muc.events import (
    ChatAnswered,
    ChatAssigned,
    ChatClosed,
    ChatCreated,
    ChatOffered,
    DeskChanged,
    DeskJoined,
    MessageSaid,
    QueueMoved,
    StaffDirectoryChanged,
    StaffJoined,
    VisitorDetailsGiven,
    VisitorLeft,
    VisitorReturned,
)
from component.muc.person import Person, staff_person
from component.muc.recorder import message_insert
from component.muc.rooms import Room
from component.muc.service import MucService
from component.muc.visitor_details import VisitorDetails
from roles.chat import Chat
from roles.effects import Effect, Said
from roles.model import Occupant
from roles.nicks import VISITOR_SUFFIX, service_occupant
from roles.routing import AgentState, anyone_available, pick_agent
from roles.visitor_text import flatten, quoted
from storage.chats import ChatStore, LeftMessage

log = logging.getLogger(__name__)
DESK_SUBJECT = "Staff desk: new chats are announced and offered here. !help lists the commands."


def short(chat_id: str) -> str:
    return chat_id.removeprefix("chat-")[:8]


def minutes(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def visitor_label(chat: Chat) -> str:
    """The visitor as staff read them: always marked, their words in quotes."""
    return f"visitor {quoted(chat.visitor_name, 64)}" if chat.visitor_name else "a visitor"


class Desk:
    def __init__(self, muc: MucService, store: ChatStore) -> None:
        self.muc = muc
        self.store = store
        self.room = muc.create_room(DESK)
        self.room.state.subject = DESK_SUBJECT
        self.members: dict[str, Person] = {}  # staff on the desk, by bare JID
        self.idle_since: dict[str, float] = {}
        self._offers: dict[str, asyncio.TimerHandle] = {}
        self._grace: dict[str, asyncio.TimerHandle] = {}
        self._queue_flush: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        on = muc.events.subscribe
        on(ChatCreated, lambda e: self.chat_opened(e.room, e.chat))
        on(VisitorReturned, self._visitor_returned)
        on(VisitorLeft, lambda e: self.visitor_left(e.room))
        on(VisitorDetailsGiven, self._details_given)
        on(StaffJoined, self._staff_joined)
        on(MessageSaid, self._message_said)
        on(DeskJoined, lambda e: self.spawn(self._sat_down(e.staff, e.session_jid)))
        on(DeskChanged, self._desk_changed)
        on(StaffDirectoryChanged, self._directory_changed)

    # -- chat events -------------------------------------------------------------

    def _visitor_returned(self, event: VisitorReturned) -> None:
        self.visitor_returned(event.room)
        if event.details is not None and event.room.chat is not None:
            self.visitor_details(event.room.chat, event.details)

    def _details_given(self, event: VisitorDetailsGiven) -> None:
        if event.room.chat is not None:
            self.visitor_details(event.room.chat, event.details)

    def _staff_joined(self, event: StaffJoined) -> None:
        if event.room.chat is not None:
            self.staff_entered(event.room, event.room.chat, event.staff, event.was_assigned)

    def _message_said(self, event: MessageSaid) -> None:
        if event.room.chat is not None:
            self.message(event.room, event.room.chat, event.sender, event.visible, event.body)

    async def _sat_down(self, person: Person, session_jid: str) -> None:
        await self.desk_changed(person)
        # Who just sat down at the desk learns what is waiting, offers included.
        if pending := self.pending():
            async with self.muc.rooms.locked(DESK):
                if session_jid in self.room.state.nick_of_session:
                    await self.muc.publish(self.room, self.room.state.tell(session_jid, pending))

    def _desk_changed(self, event: DeskChanged) -> None:
        if event.gone is not None:
            self.forget(event.gone)
        self.spawn(self.desk_changed(None))

    def _directory_changed(self, event: StaffDirectoryChanged) -> None:
        if event.removed:
            self.forget(event.jid)
            return
        self.spawn(self._refresh_member(event.jid))

    async def _refresh_member(self, jid: str) -> None:
        if jid not in self.members:
            return
        member = await self.muc.staff.get(jid)
        if member is None:
            self.forget(jid)
            return
        self.members[jid] = staff_person(member)
        # A new team or a higher cap may make them the one for a waiting chat.
        await self.route_all()

    async def restore_members(self) -> None:
        """After a restart: who sits at the desk, as the directory has them now."""
        for occupant in list(self.room.state.occupants.values()):
            member = await self.muc.staff.get(occupant.jid)
            if member is not None:
                self.members[member.jid] = staff_person(member)

    @property
    def config(self) -> Config:
        return self.muc.config

    # -- helpers ---------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run in the background, kept referenced until done, cancelled at stop."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def chats(self) -> list[tuple[Room, Chat]]:
        return [
            (room, room.chat) for room in self.muc.rooms.rooms.values() if room.chat is not None
        ]

    def waiting(self) -> list[Chat]:
        return sorted(
            (c for _, c in self.chats() if c.status == "waiting"), key=lambda c: c.created
        )

    def waiting_count(self) -> int:
        """Chats waiting for an agent, counting those being opened right now."""
        return sum(
            1
            for room in self.muc.rooms.rooms.values()
            if room is not self.room and (room.chat is None or room.chat.status == "waiting")
        )

    def in_line(self) -> list[tuple[Room, Chat]]:
        """Waiting chats whose visitor is here, oldest first: a chat whose visitor
        has gone holds no place in line and is offered to nobody."""
        return sorted(
            (
                (room, chat)
                for room, chat in self.chats()
                if chat.status == "waiting" and room.state.visitor() is not None
            ),
            key=lambda rc: rc[1].created,
        )

    def find_chat(self, text: str) -> Room | None:
        """A chat by its room JID, local part, id or an unambiguous id prefix."""
        key = text.strip().split("@", 1)[0].removeprefix("xmpp:").removeprefix("chat-")
        if len(key) < 4:
            return None
        found = [
            room for room, chat in self.chats() if chat.id.removeprefix("chat-").startswith(key)
        ]
        return found[0] if len(found) == 1 else None

    def announce(self, text: str) -> None:
        """A line on the desk from the service occupant, kept in the desk's history
        and archive so that staff who join later read it too.

        Delivered at once, written behind: an announcement is the desk's own
        note, never something a client was promised, and must not fall behind
        the invitation that follows it."""
        said = Said(
            service_occupant(self.config.service),
            False,
            time.time(),
            new_stanza_id(),
            Content(id=None, body=text),
        )
        self.muc.door.deliver(self.room.views, self.room.state.say("", said))
        self.spawn(self.muc.recorder.writer.write(*message_insert(DESK, said)))

    def tell_visitor(self, room: Room, text: str) -> None:
        visitor = room.state.visitor()
        if visitor is not None:
            self.muc.door.deliver(room.views, room.state.tell_nick(visitor.nick, text))

    async def audit(self, chat: Chat, who: Occupant, action: str, detail: str = "") -> None:
        await self.muc.audit(chat.id, who.jid, action, detail)

    def save(self, chat: Chat) -> None:
        self.spawn(self.store.save(chat_row(chat)))

    def active_chats(self, jid: str) -> int:
        return sum(1 for _, c in self.chats() if c.status == "active" and c.assigned == jid)

    def agents(self) -> list[AgentState]:
        state = self.room.state
        out = []
        for occupant in state.occupants.values():
            person = self.members.get(occupant.jid)
            if person is None or person.role != "agent":
                continue
            show = state.primary(occupant.nick).show
            out.append(
                AgentState(
                    occupant.jid,
                    person.team,
                    show,
                    self.active_chats(occupant.jid),
                    person.max_chats,
                    self.idle_since.get(occupant.jid, 0.0),
                )
            )
        return out

    def name_of(self, jid: str | None, room: Room) -> str:
        """A staff member's display name, from the room or the desk, else the JID."""
        if jid is None:
            return "-"
        person = room.state.person(jid) or self.room.state.person(jid)
        return person.name if person is not None else jid

    def invite(self, jid: str, room: Room, reason: str) -> None:
        """Invite to the person's desk sessions, where they work; if they are not on
        the desk, to their bare JID, for their server to deliver."""
        desk = self.room.state
        nick = desk.nick_of_jid.get(jid)
        for to in desk.sessions[nick] if nick is not None else [jid]:
            self.muc.door.invite(to, room.state.jid, reason)

    def pending(self) -> str:
        """Waiting chats, oldest first, and whom each is offered to; "" if none."""
        now = time.time()
        lines = []
        for room, chat in self.in_line():
            line = f"[{short(chat.id)}] {self.describe(chat, now)}"
            if chat.offered_to:
                line += f" (offered to {self.name_of(chat.offered_to, room)})"
            lines.append(line)
        return f"Waiting now ({len(lines)}):\n" + "\n".join(lines) if lines else ""

    def join_link(self, chat: Chat) -> str:
        return f"xmpp:{self.muc.room_jid(chat.id)}?join"

    def describe(self, chat: Chat, now: float) -> str:
        line = visitor_label(chat)
        if chat.visitor_email:
            line += f", email {quoted(chat.visitor_email, 254)}"
        line += f" (team {chat.team}), waiting {minutes(now - chat.created)}"
        if chat.visitor_page:
            line += f", on {quoted(chat.visitor_page)}"
        if chat.first_message:
            line += f": {quoted(chat.first_message)}"
        return f"{line} {self.join_link(chat)}"

    # -- chat lifecycle -----------------------------------------------------------

    def open_chat(
        self, room: Room, visitor_jid: str, nick: str, details: VisitorDetails | None
    ) -> Chat:
        """The chat record of a new room; the caller stores it (``chat_row``) in the
        commit that lets the visitor in, before she is told anything."""
        now = time.time()
        name = flatten(nick.removesuffix(VISITOR_SUFFIX), 64)
        chat = Chat(room.local, self.config.default_team, now, visitor_jid, name, last_activity=now)
        if details is not None:
            self._apply_details(chat, details)
        room.chat = chat
        return chat

    def chat_opened(self, room: Room, chat: Chat) -> None:
        """The visitor has joined a new chat: announce it, offer it, place it in line."""
        self.announce(f"New chat [{short(chat.id)}] from {self.describe(chat, chat.created)}")
        if not anyone_available(self.agents()):
            self.tell_visitor(
                room,
                "Nobody is available right now. Leave your message here and we will get "
                "back to you as soon as we can.",
            )
        self.spawn(self._offer_then_tell(room))

    def visitor_details(self, chat: Chat, details: VisitorDetails) -> None:
        self._apply_details(chat, details)
        self.save(chat)

    @staticmethod
    def _apply_details(chat: Chat, details: VisitorDetails) -> None:
        chat.visitor_name = details.name or chat.visitor_name
        chat.visitor_email = details.email or chat.visitor_email
        chat.visitor_page = details.page or chat.visitor_page
        chat.visitor_agent = details.user_agent or chat.visitor_agent

    def staff_entered(
        self, room: Room, chat: Chat, person: Person, was_assigned: str | None
    ) -> None:
        if chat.assigned == person.jid and was_assigned != person.jid:
            self._cancel_offer(chat.id)
            self.announce(f"{person.name} took [{short(chat.id)}]")
            self.muc.events.emit(ChatAssigned(room, chat, person.jid, "joined"))
            self.save(chat)
            self.update_queue()
            occupant = room.state.person(person.jid)
            if chat.first_message and occupant is not None:
                # COMPAT: Dino fetches a room's archive only from when it learnt
                # of the room (the offer): the question may predate it.
                text = f"Your chat. {visitor_label(chat)} asked: {quoted(chat.first_message)}"
                self.muc.door.deliver(room.views, room.state.tell_nick(occupant.nick, text))

    def visitor_left(self, room: Room) -> None:
        chat = room.chat
        if chat is None or chat.id in self._grace:
            return
        loop = asyncio.get_running_loop()
        self._grace[chat.id] = loop.call_later(
            self.config.grace_period, lambda: self.spawn(self._grace_over(room))
        )
        if chat.status == "waiting":
            # Out of line until they come back: the offer goes to a real visitor.
            self._cancel_offer(chat.id)
            chat.offered_to = None
            self.update_queue()

    def visitor_returned(self, room: Room) -> None:
        chat = room.chat
        if chat is None:
            return
        if timer := self._grace.pop(chat.id, None):
            timer.cancel()
        if chat.status == "waiting":
            chat.told_place = None
            self.spawn(self._offer_then_tell(room))

    async def _grace_over(self, room: Room) -> None:
        async with self.muc.rooms.locked(room.local):
            self._grace.pop(room.local, None)
            if (
                room.chat is not None
                and room.chat.status != "closed"
                and room.state.visitor() is None
            ):
                await self.close(room, "The visitor left.", by="")

    def message(
        self, room: Room, chat: Chat, sender: Person | None, visible: bool, body: str | None
    ) -> None:
        """A message was said in ``room``; ``sender`` None for the visitor."""
        now = time.time()
        chat.last_activity = now
        if body is None:
            return
        if sender is None:
            if chat.unanswered_since is None:
                chat.unanswered_since = now
            if not chat.first_message:
                chat.first_message = flatten(body, 500)
                self.save(chat)
                if chat.status == "waiting":
                    self.announce(f"[{short(chat.id)}] {visitor_label(chat)}: {quoted(body)}")
            if (
                chat.status == "waiting"
                and chat.left_messages < self.config.limits.left_messages_per_chat
                and not anyone_available(self.agents())
            ):
                chat.left_messages += 1
                self.spawn(self.store.leave_message(chat.id, now, body))
        elif visible:
            chat.unanswered_since = None
        if sender is not None and visible and (chat.status == "waiting" or chat.answered is None):
            # Only the first visible answer changes the chat; later ones cost nothing.
            if chat.status == "waiting":
                # Whoever answers a waiting chat has taken it.
                chat.assign(sender.jid, now)
                self._cancel_offer(chat.id)
                self.announce(f"{sender.name} took [{short(chat.id)}]")
                self.muc.events.emit(ChatAssigned(room, chat, sender.jid, "answered"))
                self.update_queue()
            if chat.answered is None:
                chat.answered = now
                self.muc.events.emit(ChatAnswered(room, chat))
            self.save(chat)

    async def close(self, room: Room, reason: str, by: str) -> None:
        """End the chat: the visitor is told, the room is destroyed for everyone."""
        chat = room.chat
        assert chat is not None
        now = time.time()
        chat.close(now, reason)
        self._cancel_offer(chat.id)
        if timer := self._grace.pop(chat.id, None):
            timer.cancel()
        if chat.assigned:
            self.idle_since[chat.assigned] = now
        self.tell_visitor(room, "This chat has ended. Thank you for contacting us!")
        effects: list[Effect] = room.state.destroy(reason)
        await self.store.save(chat_row(chat))
        await self.muc.publish(room, effects)
        self.muc.drop(room)
        who = f" by {by}" if by else ""
        why = f": {reason}" if reason else ""
        self.announce(f"[{short(chat.id)}] closed{who}{why}")
        log.info("chat %s closed%s%s", chat.id, who, why)
        self.muc.events.emit(ChatClosed(room, chat, reason, by))
        self.spawn(self._offer_then_tell(None))

    async def sweep_idle(self) -> None:
        now = time.time()
        for room, chat in self.chats():
            if chat.status != "closed" and now - chat.last_activity > self.config.idle_timeout:
                async with self.muc.rooms.locked(room.local):
                    if room.chat is not None and room.chat.status != "closed":
                        await self.close(room, "Closed after a long silence.", by="")

    # -- routing -----------------------------------------------------------------

    async def _offer_then_tell(self, room: Room | None) -> None:
        """Offer ``room`` (None: every waiting chat), then tell visitors their place:
        one whose chat was just offered is not waiting in line."""
        await (self.route(room) if room is not None else self.route_all())
        self.update_queue()

    async def route_all(self) -> None:
        for room, chat in self.in_line():
            if chat.offered_to is None:
                await self.route(room)

    async def route(self, room: Room) -> None:
        chat = room.chat
        if (
            chat is None
            or chat.status != "waiting"
            or chat.offered_to is not None
            or room.state.visitor() is None
        ):
            return
        agent = pick_agent(self.agents(), chat.team, chat.passed)
        if agent is None:
            if chat.passed:
                # Everyone passed: announce again and start another round later.
                chat.passed.clear()
                self.announce(
                    f"Still waiting [{short(chat.id)}]: {self.describe(chat, time.time())}"
                )
                self._start_offer_timer(chat, "")
            return
        chat.offered_to = agent.jid
        log.info("offering %s to %s", chat.id, agent.jid)
        self.invite(agent.jid, room, f"New chat from {visitor_label(chat)}")
        self._start_offer_timer(chat, agent.jid)
        self.muc.events.emit(ChatOffered(room, chat, agent.jid))

    def _start_offer_timer(self, chat: Chat, jid: str) -> None:
        self._cancel_offer(chat.id)
        loop = asyncio.get_running_loop()
        self._offers[chat.id] = loop.call_later(
            self.config.offer_timeout, lambda: self.spawn(self._offer_expired(chat, jid))
        )

    def _cancel_offer(self, chat_id: str) -> None:
        if timer := self._offers.pop(chat_id, None):
            timer.cancel()

    async def _offer_expired(self, chat: Chat, jid: str) -> None:
        self._offers.pop(chat.id, None)
        room = self.muc.rooms.get(chat.id)
        if room is None or chat.status != "waiting" or chat.offered_to != (jid or None):
            return
        if jid:
            chat.passed.add(jid)
            log.info("offer of %s to %s timed out", chat.id, jid)
        chat.offered_to = None
        await self._offer_then_tell(room)

    # -- queue -------------------------------------------------------------------

    def update_queue(self) -> None:
        """Tell waiting visitors their place in line when it changed, rate-limited."""
        now = time.time()
        next_due: float | None = None
        for place, (room, chat) in enumerate(self.in_line(), start=1):
            # Offered to an agent right now, she is being answered, not waiting in
            # line: her place is told only if the offer runs out.
            if place == chat.told_place or chat.offered_to is not None:
                continue
            due = chat.told_at + self.config.queue_update_interval
            if now < due:
                next_due = due if next_due is None else min(next_due, due)
                continue
            chat.told_place, chat.told_at = place, now
            text = "You are next in line." if place == 1 else f"You are number {place} in line."
            self.tell_visitor(room, text)
        if next_due is not None and self._queue_flush is None:
            loop = asyncio.get_running_loop()
            self._queue_flush = loop.call_later(next_due - now, self._flush_queue)

        self.muc.events.emit(QueueMoved())

    def _flush_queue(self) -> None:
        self._queue_flush = None
        self.update_queue()

    # -- desk presence -------------------------------------------------------------

    async def desk_changed(self, person: Person | None) -> None:
        """Someone's availability changed: route waiting chats, report left messages."""
        if person is not None:
            self.members[person.jid] = person
            self.idle_since.setdefault(person.jid, time.time())
        await self.route_all()
        state = self.room.state
        if not any(state.primary(nick).show in (None, "chat") for nick in state.occupants):
            return
        left = await self.store.unannounced()
        if left:
            self.announce(self._left_notice(left))
            await self.store.mark_announced([m.id for m in left])

    def _left_notice(self, left: list[LeftMessage]) -> str:
        """All messages left while nobody was available, in one notice, a line per chat."""
        by_chat: dict[str, list[str]] = {}
        for msg in left:
            by_chat.setdefault(msg.chat_id, []).append(quoted(msg.body))
        lines = [f"Messages left while nobody was available ({len(left)}):"]
        for chat_id, bodies in by_chat.items():
            room = self.muc.rooms.get(chat_id)
            who = visitor_label(room.chat) if room is not None and room.chat else "a visitor"
            lines.append(f"[{short(chat_id)}] {who}: {' · '.join(bodies)}")
        return "\n".join(lines)

    async def resume(self) -> None:
        """After a restart: visitors who are gone get their grace period again,
        waiting chats are offered, and queue places are told."""
        for room, _chat in self.chats():
            if room.state.visitor() is None:
                self.visitor_left(room)
        await self.route_all()
        self.update_queue()

    def forget(self, jid: str) -> None:
        self.members.pop(jid, None)

    def stop(self) -> None:
        for timer in [*self._offers.values(), *self._grace.values()]:
            timer.cancel()
        if self._queue_flush is not None:
            self._queue_flush.cancel()
        for task in self._tasks:
            task.cancel()
