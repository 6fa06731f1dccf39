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

from component.addressing import ROOM_PREFIX, check_room_name, target_of
from component.desk.desk import DESK
from component.muc.history import NS_MUC, parse_history_request
from component.muc.rooms import Room
from component.muc.service import MucService, Person
from component.muc.visitor_details import parse_visitor_details
from roles.assignment import joins_hidden
from roles.model import Session
from roles.refusal import Refused

log = logging.getLogger(__name__)
SHOWS = ("away", "chat", "dnd", "xa")


def _session(pres: Presence) -> Session:
    show = pres["show"] if pres["show"] in SHOWS else None
    return Session(str(pres["from"]), show, pres["status"] or None)


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
            session_jid = str(pres["from"])
            joined = room is not None and session_jid in room.state.nick_of_session
            if ptype in ("unavailable", "error"):
                # An error bounced by an occupant's server means the session is gone.
                if room is not None and joined:
                    await self.muc.leave(room, session_jid, pres["status"] or None)
                return
            if room is not None and joined:
                nick = room.state.nick_of_session[session_jid]
                if target.nick == nick:
                    effects = room.state.update(_session(pres))
                    self._details(room, session_jid, pres)
                else:
                    effects = room.state.change_nick(session_jid, target.nick)
                await self.muc.publish(room, effects)
                if room.local == DESK:
                    await self.muc.desk.desk_changed(None)
                return
            await self._join(pres, target.room, target.nick)

    def _details(self, room: Room, session_jid: str, pres: Presence) -> None:
        occupant = room.state.occupant_of(session_jid)
        details = parse_visitor_details(pres.xml)
        if (
            details is not None
            and room.chat is not None
            and occupant
            and occupant.role == "visitor"
        ):
            self.muc.desk.visitor_details(room.chat, details)

    async def _join(self, pres: Presence, local: str, nick: str) -> None:
        person = await self.muc.person(pres["from"])
        if person is None:
            raise Refused("registration-required", "This chat is for visitors and staff.", "auth")
        if local == DESK:
            await self._join_desk(pres, person, nick)
            return
        room = self.muc.rooms.get(local)
        check_room_name(local)
        created = False
        if room is None:
            if not local.startswith(ROOM_PREFIX) or person.role != "visitor":
                raise Refused("item-not-found", "There is no such chat.")
            if await self.muc.desk.store.get(local) is not None:
                raise Refused("item-not-found", "This chat has ended.")
            room = self.muc.create_room(local)
            created = True
        chat = room.chat
        state = room.state
        if person.role != "visitor" and chat is not None and state.person(person.jid) is None:
            chat.may_enter(person.jid, person.role)
        was_assigned = chat.assigned if chat is not None else None
        hidden = joins_hidden(state, chat, person.jid, person.role, time.time())
        try:
            effects = state.join(
                _session(pres),
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
        session_jid = str(pres["from"])
        nick_now = state.nick_of_session[session_jid]
        details = parse_visitor_details(pres.xml) if person.role == "visitor" else None
        desk = self.muc.desk
        if created:
            chat = await desk.open_chat(room, person.jid, nick_now, details)
        history = parse_history_request(pres.xml.find(f"{{{NS_MUC}}}x"))
        if created and self.muc.config.welcome:
            effects.extend(state.tell(session_jid, self.muc.config.welcome))
        await self.muc.publish(room, effects, history)
        log.info(
            "%s joined %s as %r (%s%s)",
            session_jid,
            state.jid,
            nick_now,
            person.role,
            ", hidden" if hidden else "",
        )
        if chat is None:
            return
        if person.role != "visitor" and len(state.sessions[nick_now]) == 1:
            await self.muc.audit(local, person.jid, "joined hidden" if hidden else "joined")
        if created:
            desk.chat_opened(room, chat)
        elif person.role == "visitor":
            desk.visitor_returned(room)
            if details is not None:
                desk.visitor_details(chat, details)
        else:
            desk.staff_entered(room, chat, person, was_assigned)

    async def _join_desk(self, pres: Presence, person: Person, nick: str) -> None:
        if person.role == "visitor":
            raise Refused("registration-required", "The desk is for staff.", "auth")
        room = self.muc.desk.room
        effects = room.state.join(
            _session(pres), person.jid, person.role, person.name, nick, join_id=pres["id"] or None
        )
        history = parse_history_request(pres.xml.find(f"{{{NS_MUC}}}x"))
        await self.muc.publish(room, effects, history)
        await self.muc.desk.desk_changed(person)
