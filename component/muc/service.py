"""The MUC service's shared state: rooms, who is who, and the door out.

Feature modules (``join``, ``messages``, ``disco``, ``ping``) hold the handlers;
this module holds what they share.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from slixmpp import JID
from slixmpp.basexmpp import BaseXMPP

from component.config import Config
from component.muc.coaching import Coach
from component.muc.door import Door
from component.muc.events import (
    DeskChanged,
    Events,
    StaffDirectoryChanged,
    StaffLeft,
    VisitorLeft,
)
from component.muc.history import HistoryRequest
from component.muc.occupant_id import OccupantIds
from component.muc.person import Person, staff_person
from component.muc.recorder import said_from_rows
from component.muc.rooms import Room, Rooms
from component.muc.views import Views
from roles.effects import Effect
from roles.room import RoomState
from storage import audit
from storage.archive import Archive
from storage.database import Database
from storage.staff import StaffDirectory
from storage.writer import Params

if TYPE_CHECKING:
    from component.muc.reception import Reception
    from component.muc.recorder import Recorder

log = logging.getLogger(__name__)


class MucService:
    def __init__(
        self, xmpp: BaseXMPP, config: Config, staff: StaffDirectory, ids: OccupantIds
    ) -> None:
        self.xmpp = xmpp
        self.config = config
        self.staff = staff
        self.ids = ids
        self.rooms = Rooms()
        # Open chats per visitor, for ``limits.chats_per_visitor``.
        self.opened_by: Counter[str] = Counter()
        self.door = Door(xmpp)
        self.events = Events()
        self.coach = Coach(
            lambda: self.config.coaching,
            self.rooms.locked,
            lambda room, effects, also: self.publish(room, effects, also=also),
            audit_row,
            self.events,
        )
        self.events.subscribe(StaffDirectoryChanged, self._directory_changed)
        self.reception: Reception  # set once the database is open, before any stanza is handled
        self.recorder: Recorder  # likewise

    async def publish(
        self,
        room: Room,
        effects: list[Effect],
        history: HistoryRequest | None = None,
        also: Sequence[tuple[str, Params]] = (),
    ) -> None:
        """Persist what ``effects`` change (and the statements ``also``, first, in the
        same commit), then deliver them: the one way out."""
        await self.recorder.publish(room, effects, history, also)

    def _directory_changed(self, event: StaffDirectoryChanged) -> None:
        """The directory's coaching flag applies at once to the chats they are in."""
        jid, coached = event.jid, event.coached and not event.removed
        for room in self.rooms.rooms.values():
            if room.chat is not None and jid in room.state.nick_of_jid:
                if coached:
                    room.coaching.coached.add(jid)
                else:
                    room.coaching.coached.discard(jid)

    def room_jid(self, local: str) -> str:
        return f"{local}@{self.config.service}"

    async def leave(self, room: Room, session_jid: str, status: str | None = None) -> bool:
        """A session leaves ``room`` (its own unavailable, a bounce, or found gone);
        the audit log and the chat events follow. False if it was not in the room."""
        occupant = room.state.occupant_of(session_jid)
        if occupant is None:
            return False
        # Their last session: they leave the room, not just one of their devices.
        gone = len(room.state.sessions[occupant.nick]) == 1
        audits = gone and room.chat is not None and occupant.is_staff
        also = [audit_row(room.local, occupant.jid, "left")] if audits else []
        await self.publish(room, room.state.leave(session_jid, status), also=also)
        log.info("%s left %s", session_jid, room.state.jid)
        if also:
            audited(room.local, occupant.jid, "left")
        if room.chat is None:
            self.events.emit(DeskChanged(gone=occupant.jid if gone else None))
        elif gone and occupant.role == "visitor":
            self.events.emit(VisitorLeft(room))
        elif gone:
            self.events.emit(StaffLeft(room, occupant.jid))
        return True

    async def ensure_history(self, room: Room) -> None:
        """Load a restored room's recent history before its first event."""
        if not room.history_pending:
            return
        room.history_pending = False
        rows = await Archive(self.db).recent(room.local, self.config.history_size)
        # Nothing can have been said since the restart: this runs first, under the lock.
        room.state.history.extendleft(reversed(said_from_rows(rows)))

    async def archived_count(self, local: str) -> int:
        return await Archive(self.db).size(local)

    @property
    def db(self) -> Database:
        return self.recorder.writer.db

    async def audit(self, chat_id: str, actor: str, action: str, detail: str = "") -> None:
        """Record an act of supervision; committed before the caller goes on."""
        await self.recorder.writer.write(*audit_row(chat_id, actor, action, detail))
        audited(chat_id, actor, action, detail)


    async def person(self, jid: JID) -> Person | None:
        """Who the sender is. Staff powers come only from the staff directory, and
        only for JIDs of a staff domain; nothing in a stanza can raise a role."""
        if jid.domain in self.config.staff_domains:
            member = await self.staff.get(jid.bare)
            if member is not None:
                return staff_person(member)
            return None
        if jid.domain in self.config.visitor_domains:
            return Person(jid.bare, "visitor", jid.local)
        return None

    def create_room(self, local: str, opener: str = "") -> Room:
        jid = self.room_jid(local)
        room = Room(
            local,
            RoomState(jid, self.config.history_size),
            Views(self.xmpp, jid, self.ids),
            opener=opener,
        )
        self.rooms.add(room)
        if opener:
            self.opened_by[opener] += 1
        log.info("created room %s", jid)
        return room

    def drop(self, room: Room) -> None:
        if self.rooms.get(room.local) is room and room.opener:
            self.opened_by[room.opener] -= 1
            if self.opened_by[room.opener] <= 0:
                del self.opened_by[room.opener]
        self.rooms.discard(room.local)
        self.ids.forget_room(room.state.jid)
        log.info("room %s is gone", room.state.jid)


def audit_row(chat_id: str, actor: str, action: str, detail: str = "") -> tuple[str, Params]:
    """The statement recording an act of supervision, to commit with what it changed."""
    return audit.INSERT, (time.time(), chat_id, actor, action, detail[:500])


def audited(chat_id: str, actor: str, action: str, detail: str = "") -> None:
    log.info("audit: %s %s in %s %s", actor, action, chat_id, detail[:80])
