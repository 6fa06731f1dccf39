"""Presence to a room: join (XEP-0045 §7.2), nick change (§7.6), status (§7.7), leave (§7.14).

Who may enter: a visitor-domain JID may create a chat room and be its visitor,
or return to it while the visitor seat is empty; staff from the directory may
enter existing chats (agents those waiting, offered, assigned or they were
invited to; supervisors and admins any) and the desk; anyone else is refused as
a non-member, alike for rooms that exist and rooms that do not.
"""

from __future__ import annotations

import logging
import time

from slixmpp import Presence

from component.addressing import DESK, ROOM_PREFIX, check_room_name, target_of
from component.muc.chat_rows import chat_row
from component.muc.events import (
    ChatCreated,
    DeskChanged,
    DeskJoined,
    StaffJoined,
    VisitorDetailsGiven,
    VisitorReturned,
)
from component.muc.history import NS_MUC, parse_history_request
from component.muc.rooms import Room
from component.muc.service import MucService, Person, audit_row, audited
from component.muc.visitor_details import parse_visitor_details
from roles.assignment import joins_hidden
from roles.model import Session
from roles.refusal import Refused
from roles.visitor_text import flatten
from storage import chats

log = logging.getLogger(__name__)
SHOWS = ("away", "chat", "dnd", "xa")


def _session(pres: Presence, max_status: int) -> Session:
    show = pres["show"] if pres["show"] in SHOWS else None
    # Cut, not refused: a refused presence would keep staff out of the room.
    status = flatten(pres["status"], max_status) if pres["status"] else ""
    return Session(str(pres["from"]), show, status or None)


class PresenceHandler:
    def __init__(self, muc: MucService) -> None:
        self.muc = muc

    async def on_presence(self, pres: Presence) -> None:
        ptype = pres["type"]
        if ptype in ("subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe"):
            return
        target = target_of(pres["to"], self.muc.config.service)
        if target.kind == "room":
            if ptype in ("unavailable", "error"):
                return
            raise Refused("jid-malformed", "A nickname is required to join.", "modify")
        if target.kind != "occupant":
            if ptype not in ("unavailable", "error"):
                raise Refused("service-unavailable")
            return
        async with self.muc.rooms.locked(target.room):
            room = self.muc.rooms.get(target.room)
            if room is not None:
                await self.muc.ensure_history(room)
            session_jid = str(pres["from"])
            joined = room is not None and session_jid in room.state.nick_of_session
            if ptype in ("unavailable", "error"):
                # An error bounced by an occupant's server means the session is gone.
                if room is not None and joined:
                    await self.muc.leave(room, session_jid, pres["status"] or None)
                return
            if room is not None and joined:
                self._check_rate(room, session_jid)
                nick = room.state.nick_of_session[session_jid]
                if target.nick == nick:
                    effects = room.state.update(self._session(pres))
                    self._details(room, session_jid, pres)
                else:
                    effects = room.state.change_nick(
                        session_jid, target.nick, self._session(pres)
                    )
                await self.muc.publish(room, effects)
                if room.local == DESK:
                    self.muc.events.emit(DeskChanged())
                return
            await self._join(pres, target.room, target.nick)

    def _session(self, pres: Presence) -> Session:
        return _session(pres, self.muc.config.limits.max_status_chars)

    def _check_rate(self, room: Room, session_jid: str) -> None:
        occupant = room.state.occupant_of(session_jid)
        rate = self.muc.config.limits.presence
        if occupant and not room.buckets.take((occupant.jid, "presence"), rate, time.monotonic()):
            raise Refused(
                "policy-violation", "You are changing your status too fast; wait a moment.", "wait"
            )

    def _details(self, room: Room, session_jid: str, pres: Presence) -> None:
        occupant = room.state.occupant_of(session_jid)
        details = parse_visitor_details(pres.xml)
        if (
            details is not None
            and room.chat is not None
            and occupant
            and occupant.role == "visitor"
        ):
            self.muc.events.emit(VisitorDetailsGiven(room, details))

    async def _join(self, pres: Presence, local: str, nick: str) -> None:
        person = await self.muc.person(pres["from"])
        if person is None:
            raise Refused("registration-required", "This chat is for visitors and staff.", "auth")
        if local == DESK:
            await self._join_desk(pres, person, nick)
            return
        room = self.muc.rooms.get(local)
        check_room_name(local)
        history = parse_history_request(pres.xml.find(f"{{{NS_MUC}}}x"))
        created = False
        if room is None:
            if not local.startswith(ROOM_PREFIX) or person.role != "visitor":
                raise Refused("item-not-found", "There is no such chat.")
            if await self.muc.reception.chat_ended(local):
                raise Refused("item-not-found", "This chat has ended.")
            room = self.muc.rooms.get(local)  # another join may have made it meanwhile
            if room is None:
                # No await between the count and the new room: concurrent joins
                # cannot all pass a limit that only one of them fits under.
                self._check_room_limits(person.jid)
                room = self.muc.create_room(local, opener=person.jid)
                created = True
        chat = room.chat
        state = room.state
        if person.role != "visitor" and chat is not None and state.person(person.jid) is None:
            chat.may_enter(person.jid, person.role)
        was_assigned = chat.assigned if chat is not None else None
        hidden = joins_hidden(state, chat, person.jid, person.role, time.time())
        session_jid = str(pres["from"])
        try:
            effects = state.join(
                self._session(pres),
                person.jid,
                person.role,
                person.name,
                nick,
                hidden=hidden,
                join_id=pres["id"] or None,
            )
        except Refused:
            if created:
                self.muc.drop(room)
            raise
        nick_now = state.nick_of_session[session_jid]
        details = parse_visitor_details(pres.xml) if person.role == "visitor" else None
        reception = self.muc.reception
        # The chat's row and the audit entry go in the commit that lets them in.
        also = []
        if created:
            chat = reception.open_chat(room, person.jid, nick_now, details)
            also.append(chats.upsert(chat_row(chat)))
            if self.muc.config.welcome:
                effects.extend(state.tell(session_jid, self.muc.config.welcome))
        action = "joined hidden" if hidden else "joined"
        audits = (
            chat is not None
            and person.role != "visitor"
            and len(state.sessions[nick_now]) == 1
        )
        if audits:
            also.append(audit_row(local, person.jid, action))
        try:
            await self.muc.publish(room, effects, history, also)
        except BaseException:
            await self._undo_join(room, session_jid, created)
            raise
        log.info(
            "%s joined %s as %r (%s%s)",
            session_jid,
            state.jid,
            nick_now,
            person.role,
            ", hidden" if hidden else "",
        )
        if audits:
            audited(local, person.jid, action)
        if chat is None:
            return
        self.muc.coach.coached_joined(room, person, person.coached)
        emit = self.muc.events.emit
        if created:
            emit(ChatCreated(room, chat))
        elif person.role == "visitor":
            emit(VisitorReturned(room, details))
        elif len(state.sessions[nick_now]) == 1:
            emit(StaffJoined(room, person, hidden, was_assigned))

    def _check_room_limits(self, visitor_jid: str) -> None:
        limits = self.muc.config.limits
        if self.muc.opened_by.get(visitor_jid, 0) >= limits.chats_per_visitor:
            raise Refused(
                "policy-violation",
                "You have too many chats open; please go on in one of them.",
                "wait",
            )
        self.muc.reception.check_new_chat()

    async def _undo_join(self, room: Room, session_jid: str, created: bool) -> None:
        """A join that failed half-way is taken back: the occupant is fully out."""
        log.error("join of %s to %s failed; taking it back", session_jid, room.state.jid)
        if session_jid not in room.state.nick_of_session:
            return
        effects = room.state.leave(session_jid)
        if created:
            await self.muc.reception.chat_failed(room)
            self.muc.drop(room)
            return
        await self.muc.publish(room, [e for e in effects if e.to != session_jid])

    async def _join_desk(self, pres: Presence, person: Person, nick: str) -> None:
        if person.role == "visitor":
            raise Refused("registration-required", "The desk is for staff.", "auth")
        room = self.muc.reception.room
        effects = room.state.join(
            self._session(pres),
            person.jid,
            person.role,
            person.name,
            nick,
            join_id=pres["id"] or None,
        )
        history = parse_history_request(pres.xml.find(f"{{{NS_MUC}}}x"))
        await self.muc.publish(room, effects, history)
        self.muc.events.emit(DeskJoined(person, str(pres["from"])))
