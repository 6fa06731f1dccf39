"""Restart recovery: rebuild open chats, their occupants and history from SQLite.

Everything a client was told was committed first (``recorder``), so after a
crash the rooms come back as clients last saw them: their self-pings succeed and
history and MAM hold every message reflected before the crash. A chat's newest
``history_size`` messages are read when the room is first used; MAM reads the
archive when asked.
"""

from __future__ import annotations

import logging

from component.addressing import DESK
from component.muc.chat_rows import chat_from_row
from component.muc.recorder import restore_occupants, said_from_rows
from component.muc.service import MucService
from storage import audit, occupants
from storage.archive import Archive
from storage.chats import open_chats
from storage.database import Database

log = logging.getLogger(__name__)


async def restore_rooms(muc: MucService, db: Database) -> int:
    """Rebuild every open chat with a few queries for all of them; each room's
    history is read when the room is first used (``MucService.ensure_history``)."""
    archive = Archive(db)
    chats = await open_chats(db)
    present = await occupants.load_all(db.conn)
    last_said = await archive.last_stamps()
    for row, subject in chats:
        room = muc.create_room(row.id)
        chat = chat_from_row(row)
        room.chat = chat
        room.state.subject = subject
        room.saved_subject = subject
        room.history_pending = True
        restore_occupants(room.state, present.get(row.id, []))
        chat.last_activity = max(chat.last_activity, last_said.get(row.id, 0.0))
    log.debug("restored %d chats and their occupants", len(chats))
    # Coached by the directory: coached again in every chat they are in; coached
    # by a supervisor's !coach: as the audit log has it.
    coached = {m.jid for m in await muc.staff.list() if m.coached and m.role == "agent"}
    for room in muc.rooms.rooms.values():
        room.coaching.coached.update(coached & room.state.nick_of_jid.keys())
    for chat_id, action, agent in await audit.coaching_of_open_chats(db):
        if (room := muc.rooms.get(chat_id)) is not None:
            if action == "coaching on":
                room.coaching.coached.add(agent)
            else:
                room.coaching.coached.clear()
    desk = muc.reception.room
    restore_occupants(desk.state, present.get(DESK, []))
    desk.state.history.extend(said_from_rows(await archive.recent(DESK, muc.config.history_size)))
    return len(chats)
