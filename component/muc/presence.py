"""Presence to a room: join (XEP-0045 §7.2), nick change (§7.6), status (§7.7), leave (§7.14).

Who may enter: a visitor-domain JID may create a chat room and be its visitor,
or return to it while the visitor seat is empty; staff from the directory may
enter existing chats; anyone else is refused as a non-member, alike for rooms
that exist and rooms that do not.
"""

from __future__ import annotations

import logging

from slixmpp import Presence

from component.addressing import ROOM_PREFIX, check_room_name, target_of
from component.muc.history import NS_MUC, parse_history_request
from component.muc.service import MucService
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
                    effects = room.state.leave(session_jid, pres["status"] or None)
                    self.muc.door.deliver(room.views, effects)
                    log.info("%s left %s", session_jid, room.state.jid)
                    self.muc.drop_if_empty(room)
                return
            if room is not None and joined:
                nick = room.state.nick_of_session[session_jid]
                if target.nick == nick:
                    effects = room.state.update(_session(pres))
                else:
                    effects = room.state.change_nick(session_jid, target.nick)
                self.muc.door.deliver(room.views, effects)
                return
            await self._join(pres, target.room, target.nick)

    async def _join(self, pres: Presence, local: str, nick: str) -> None:
        person = await self.muc.person(pres["from"])
        if person is None:
            raise Refused("registration-required", "This chat is for visitors and staff.", "auth")
        room = self.muc.rooms.get(local)
        created = room is None
        if room is None:
            if not local.startswith(ROOM_PREFIX) or person.role != "visitor":
                check_room_name(local)
                raise Refused("item-not-found", "There is no such chat.")
            check_room_name(local)
            room = self.muc.create_room(local)
        state = room.state
        hidden = joins_hidden(state, person.jid, person.role)
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
            self.muc.drop_if_empty(room)
            raise
        if created and self.muc.config.welcome:
            effects.extend(state.tell(str(pres["from"]), self.muc.config.welcome))
        history = parse_history_request(pres.xml.find(f"{{{NS_MUC}}}x"))
        self.muc.door.deliver(room.views, effects, history)
        log.info(
            "%s joined %s as %r (%s%s)",
            pres["from"],
            state.jid,
            state.nick_of_session[str(pres["from"])],
            person.role,
            ", hidden" if hidden else "",
        )
