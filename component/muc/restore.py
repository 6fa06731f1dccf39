"""Restart recovery: rebuild open chats, their occupants and history from SQLite.

Everything a client was told was committed first (``recorder``), so after a
crash the rooms come back as clients last saw them: their self-pings succeed and
history and MAM hold every message reflected before the crash. A chat's newest
``history_size`` messages are read when the room is first used; MAM reads the
archive when asked.
"""

from __future__ import annotations

import logging

from component.desk.desk import DESK
from component.muc.recorder import restore_occupants, said_from_rows
from component.muc.service import MucService, Person
from roles.chat import Chat
from storage import occupants
from storage.archive import Archive
from storage.chats import ChatRow, open_chats
from storage.database import Database

log = logging.getLogger(__name__)


def chat_from_row(row: ChatRow) -> Chat:
    return Chat(
        id=row.id,
        team=row.team,
        created=row.created,
        visitor_jid=row.visitor_jid,
        visitor_name=row.visitor_name,
        visitor_email=row.visitor_email,
        visitor_page=row.visitor_page,
        visitor_agent=row.visitor_agent,
        first_message=row.first_message,
        status=row.status,  # type: ignore[arg-type]
        assigned=row.assigned,
        assigned_at=row.assigned_at,
        answered=row.answered,
        last_activity=row.created,
    )


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
    desk = muc.desk
    restore_occupants(desk.room.state, present.get(DESK, []))
    desk.room.state.history.extend(
        said_from_rows(await archive.recent(DESK, muc.config.history_size))
    )
    for occupant in list(desk.room.state.occupants.values()):
        member = await muc.staff.get(occupant.jid)
        if member is not None:
            desk.members[member.jid] = Person(
                member.jid, member.role, member.name, member.team, member.max_chats
            )
    return len(chats)
