"""Messages to a room: groupchat (XEP-0045 §7.4), subject (§8.1), private (§7.5).

Only occupants may speak. Each message gets the room's XEP-0359 stanza-id and
is reflected, sender included, with the sender's id and origin-id kept. A hidden
staff member who speaks is revealed first (LEAKS #26) — or, with
``supervisor_speech = "whisper"``, their plain messages stay staff-only.
Corrections, reactions and markers reach only those who received what they
refer to, and never reveal anyone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Reversible
from dataclasses import replace

from slixmpp import Message

from component.addressing import target_of
from component.errors import error_condition
from component.muc.canned import speak_canned
from component.muc.coaching import COACHING_COMMANDS
from component.muc.commands import run_command, whispered
from component.muc.content import Content, new_stanza_id, parse_content
from component.muc.events import MessageSaid, Supervised, VisitorDetailsGiven
from component.muc.liveness import GONE
from component.muc.person import Person
from component.muc.rooms import Room
from component.muc.service import MucService, audit_row, audited
from component.muc.visitor_details import parse_visitor_details
from roles.commands import Command, parse_command, unescape
from roles.effects import Effect, MessageOut, Said
from roles.model import Occupant
from roles.refusal import Refused

log = logging.getLogger(__name__)
CHAT_MOVES = frozenset({"invite", "transfer", "take", "close", "info"})
# Acts of supervision kept in the audit log (the whisper's text is in the archive);
# the moves (invite, transfer, take, close) are logged where they succeed.
AUDITED = frozenset({"whisper", "say", "reveal", "hide"})


class MessageHandler:
    def __init__(self, muc: MucService) -> None:
        self.muc = muc

    async def on_message(self, msg: Message) -> None:
        # Runs under the room's lock; commands that await (storage, lookups) keep
        # the room's order because nothing else in the room runs meanwhile.
        if msg["type"] == "error":
            await self._bounced(msg)
            return
        target = target_of(msg["to"], self.muc.config.service)
        if target.kind not in ("room", "occupant"):
            raise Refused("service-unavailable")
        async with self.muc.rooms.locked(target.room):
            room = self.muc.rooms.get(target.room)
            if room is not None:
                await self.muc.ensure_history(room)
            session_jid = str(msg["from"])
            sender = room.state.occupant_of(session_jid) if room is not None else None
            if room is None or sender is None:
                # The same answer whether the room exists or not.
                raise Refused("not-acceptable", "You are not in this chat.", "modify")
            content = parse_content(msg)
            self._check_size(content)
            self._check_rate(room, sender)
            if content.archived:
                await self._check_room_left(room)
            if target.kind == "occupant":
                if msg["type"] == "groupchat":
                    raise Refused("bad-request", "Groupchat messages go to the room.", "modify")
                effects = room.state.private(session_jid, target.nick, content)
                await self.muc.publish(room, effects)
            elif msg["type"] != "groupchat":
                raise Refused(
                    "bad-request", "Messages to the room are of type groupchat.", "modify"
                )
            else:
                await self._groupchat(room, session_jid, sender, msg, content)

    async def _bounced(self, msg: Message) -> None:
        """A message we sent bounced because its session is gone: it leaves the
        room, as if it had sent unavailable presence (XEP-0045 §7.14)."""
        target = target_of(msg["to"], self.muc.config.service)
        if target.kind != "occupant" or error_condition(msg) not in GONE:
            return
        async with self.muc.rooms.locked(target.room):
            room = self.muc.rooms.get(target.room)
            if room is not None and await self.muc.leave(room, str(msg["from"])):
                log.info("%s bounced a message from %s: gone", msg["from"], room.state.jid)

    def _check_size(self, content: Content) -> None:
        limit = self.muc.config.max_message_chars
        if content.body is not None and len(content.body) > limit:
            raise Refused(
                "policy-violation", f"Messages are limited to {limit} characters.", "modify"
            )
        # Ids are kept in the archive and reflected to everyone: a client may
        # choose them, but not their size.
        longest = self.muc.config.limits.max_id_chars
        if any(len(value) > longest for value in content.ids()):
            raise Refused(
                "policy-violation", f"Message ids are limited to {longest} characters.", "modify"
            )

    def _check_rate(self, room: Room, sender: Occupant) -> None:
        limits = self.muc.config.limits
        rate = limits.staff_messages if sender.is_staff else limits.visitor_messages
        if not room.buckets.take((sender.jid, "message"), rate, time.monotonic()):
            raise Refused(
                "policy-violation", "You are sending messages too fast; wait a moment.", "wait"
            )

    async def _check_room_left(self, room: Room) -> None:
        """A chat's archive has a size; past it nothing more is said in that chat."""
        if room.archived is None:
            room.archived = await self.muc.archived_count(room.local)
        if room.archived >= self.muc.config.limits.archive_messages_per_chat:
            raise Refused(
                "resource-constraint",
                "This chat is full; please start a new one to go on.",
                "wait",
            )

    async def _groupchat(
        self, room: Room, session_jid: str, sender: Occupant, msg: Message, content: Content
    ) -> None:
        state = room.state
        subject = msg.xml.find(f"{{{msg.namespace}}}subject")
        if subject is not None and content.body is None:
            if not sender.is_staff:
                raise Refused("forbidden", "Only staff may change the subject.", "auth")
            await self.muc.publish(room, state.set_subject(subject.text or ""))
            return
        desk = room.chat is None
        if sender.is_staff and content.body is not None and content.replaces is None:
            command = parse_command(content.body, desk=desk)
            if command is not None:
                # Powers come from the directory as it is now, not as it was at join.
                person = await self.muc.person(msg["from"])
                if person is None or person.role == "visitor":
                    await self.muc.publish(
                        room, state.tell(session_jid, "You are no longer on the staff.")
                    )
                    return
                current = replace(sender, role=person.role)
                if command.name != "canned":
                    await self._command(room, session_jid, current, command, content)
                    return
                # !r: the saved text goes on below as if the sender had typed it.
                said = await speak_canned(
                    self.muc, room, session_jid, current, command, content, self._said
                )
                if said is None:
                    return
                content = said
            else:
                content = replace(content, body=unescape(content.body))
        if content.empty:
            details = parse_visitor_details(msg.xml)
            if details is not None and room.chat is not None and sender.role == "visitor":
                self.muc.events.emit(VisitorDetailsGiven(room, details))
            return
        if self.muc.coach.drafts(room, sender, content):
            await self._draft(room, session_jid, sender, content)
            return
        effects = self._speak(room, session_jid, sender, content)
        revealed = sender.hidden and not room.state.occupants[sender.nick].hidden
        audits = revealed and room.chat is not None
        also = [audit_row(room.local, sender.jid, "revealed", "by speaking")] if audits else []
        await self.muc.publish(room, effects, also=also)
        if room.chat is None:
            return
        person = None
        if sender.is_staff:
            known = self.muc.reception.staff_member(sender.jid)
            person = known or Person(sender.jid, sender.role, sender.name)
        if audits and person is not None:
            audited(room.local, sender.jid, "revealed", "by speaking")
            self.muc.events.emit(Supervised(room, person, "revealed"))
        said = next((e.said for e in effects if isinstance(e, MessageOut)), None)
        if said is not None and content.body is not None:
            visible = not said.staff_only and not said.sender.hidden
            self.muc.events.emit(MessageSaid(room, person, visible, content.body, said.stamp))

    async def _draft(
        self, room: Room, session_jid: str, sender: Occupant, content: Content
    ) -> None:
        """A coached agent's answer: to staff only, until a supervisor decides."""
        refers_to = _refers_to(room.state.history, sender, content)
        if content.replaces is not None and refers_to is None:
            return  # corrects nothing we know: nobody could place it
        effects = self.muc.coach.draft(room, session_jid, sender, content, refers_to)
        await self.muc.publish(room, effects)
        person = Person(sender.jid, sender.role, sender.name)
        self.muc.events.emit(MessageSaid(room, person, False, content.body or "", time.time()))

    async def _command(
        self, room: Room, session_jid: str, sender: Occupant, command: Command, content: Content
    ) -> None:
        publish = self.muc.publish
        if room.chat is not None and command.name in COACHING_COMMANDS:
            said = self._said(sender, True, content)
            await self.muc.coach.command(room, session_jid, sender, command, said)
            return
        if room.chat is None:
            # On the desk a command is between the asker and the desk: reflected to
            # the asker alone (their client sees it delivered) and not archived.
            said = Said(sender, False, time.time(), "", content)
            await publish(room, room.state.echo(session_jid, said))
            reception = self.muc.reception
            await publish(room, await reception.desk_command(session_jid, sender, command))
            return
        if command.name in CHAT_MOVES:
            await publish(room, room.state.say(session_jid, self._said(sender, True, content)))
            effects = await self.muc.reception.chat_command(room, session_jid, sender, command)
            await publish(room, effects)
            return
        effects = run_command(room, session_jid, sender, command, content, self._said)
        audits = command.name in AUDITED
        also = [audit_row(room.local, sender.jid, command.name, command.arg)] if audits else []
        await publish(room, effects, also=also)
        if audits:
            audited(room.local, sender.jid, command.name, command.arg)
            person = Person(sender.jid, sender.role, sender.name)
            self.muc.events.emit(Supervised(room, person, command.name))

    def _speak(
        self, room: Room, session_jid: str, sender: Occupant, content: Content
    ) -> list[Effect]:
        state = room.state
        refers_to = _refers_to(state.history, sender, content)
        if (content.replaces or content.refers_to) and refers_to is None:
            return []  # refers to nothing we know: nobody could place it
        staff_only = False
        effects: list[Effect] = []
        if content.replaces is not None and refers_to is not None:
            staff_only = refers_to.staff_only  # a corrected whisper stays a whisper
        elif sender.hidden and content.body is not None:
            if self.muc.config.supervisor_speech == "reveal":
                effects.extend(state.reveal(session_jid))
                sender = state.occupants[sender.nick]
                log.info("%s revealed in %s by speaking", sender.jid, state.jid)
            else:
                staff_only = True
        effects.extend(state.say(session_jid, self._said(sender, staff_only, content, refers_to)))
        if staff_only and content.replaces is None and content.body is not None:
            effects.extend(
                state.tell(session_jid, f"{whispered(content.body)} (!say <text> speaks)")
            )
        return effects

    def _said(
        self, sender: Occupant, staff_only: bool, content: Content, refers_to: Said | None = None
    ) -> Said:
        stanza_id = new_stanza_id() if content.archived else ""
        return Said(sender, staff_only, time.time(), stanza_id, content, refers_to)


def _refers_to(history: Reversible[Said], sender: Occupant, content: Content) -> Said | None:
    """What a correction corrects (one's own message) or a reaction or marker names."""
    if content.replaces is not None:
        return _find(history, lambda s: _corrects(s, sender, content))
    if content.refers_to is not None:
        return _find(history, lambda s: s.stanza_id == content.refers_to)
    return None


def _corrects(said: Said, sender: Occupant, content: Content) -> bool:
    """XEP-0308: only one's own messages may be corrected."""
    original: Content = said.payload
    return said.sender.jid == sender.jid and content.replaces in (original.id, original.origin_id)


def _find(history: Reversible[Said], match: Callable[[Said], bool]) -> Said | None:
    return next((said for said in reversed(history) if match(said)), None)
