"""Persist, then send (DESIGN §4, invariant 3): every message and change of who is
in a room is committed to SQLite before any client hears of it, so a restarted
component loses nothing it acknowledged — and can rebuild its rooms.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import cast

from component.muc.content import content_from_json, content_to_json
from component.muc.door import Door
from component.muc.history import HistoryRequest
from component.muc.rooms import Room
from roles.effects import Effect, MessageOut, PresenceOut, Said
from roles.model import Occupant, Role, Session
from roles.room import RoomState
from roles.visibility import heard_by_visitors
from storage import archive, occupants
from storage.archive import MessageRow
from storage.occupants import OccupantRow
from storage.writer import BatchWriter, Params

log = logging.getLogger(__name__)
SET_SUBJECT = "UPDATE chats SET subject = ? WHERE id = ?"


def message_row(chat_id: str, said: Said) -> MessageRow:
    sender = said.sender
    return MessageRow(
        chat_id,
        said.stanza_id,
        said.stamp,
        sender.nick,
        sender.jid,
        sender.role,
        sender.name,
        sender.hidden,
        said.staff_only,
        heard_by_visitors(said),
        said.refers_to.stanza_id if said.refers_to is not None else None,
        content_to_json(said.payload),
    )


_NOBODY = Occupant("", "", "agent", "")


def message_insert(chat_id: str, said: Said) -> tuple[str, Params]:
    return archive.INSERT, archive.params(message_row(chat_id, said))


def said_from_rows(rows: Sequence[MessageRow]) -> list[Said]:
    """Rebuild archived messages, linking corrections and reactions to what they
    refer to so that visibility is judged as it was live.

    A page or the recent history need not hold what its first rows refer to;
    the stored ``for_visitor`` then stands for it, so ``hears_said`` still
    agrees with what was decided when the message was said.
    """
    by_id: dict[str, Said] = {}
    out = []
    for row in rows:
        role = cast(Role, row.sender_role)
        sender = Occupant(row.sender_nick, row.sender_jid, role, row.sender_name, row.sender_hidden)
        refers = by_id.get(row.refers_to) if row.refers_to else None
        if row.refers_to and refers is None:
            refers = _stand_in(row)
        said = Said(
            sender, row.staff_only, row.stamp, row.stanza_id, content_from_json(row.content), refers
        )
        by_id[said.stanza_id] = said
        out.append(said)
    return out


def _stand_in(row: MessageRow) -> Said:
    """What ``row`` refers to, when that was not read: staff hear it, and visitors
    do when they hear ``row`` (if they do not, the stand-in makes sure of it)."""
    return Said(_NOBODY, not row.for_visitor, row.stamp, row.refers_to or "", None)


def occupant_rows(chat_id: str, state: RoomState) -> list[OccupantRow]:
    rows = []
    position = 0
    for nick, sessions in state.sessions.items():
        occupant = state.occupants[nick]
        for session in sessions.values():
            rows.append(
                OccupantRow(
                    chat_id,
                    session.jid,
                    position,
                    nick,
                    occupant.jid,
                    occupant.role,
                    occupant.name,
                    occupant.hidden,
                    session.show,
                    session.status,
                )
            )
            position += 1
    return rows


def restore_occupants(state: RoomState, rows: Sequence[OccupantRow]) -> None:
    for row in rows:
        occupant = state.occupants.get(row.nick)
        if occupant is None:
            occupant = Occupant(row.nick, row.jid, row.role, row.name, row.hidden)  # type: ignore[arg-type]
            state.occupants[row.nick] = occupant
            state.sessions[row.nick] = {}
            state.nick_of_jid[row.jid] = row.nick
        state.sessions[row.nick][row.session_jid] = Session(row.session_jid, row.show, row.status)  # type: ignore[arg-type]
        state.nick_of_session[row.session_jid] = row.nick


class Recorder:
    def __init__(self, writer: BatchWriter, door: Door) -> None:
        self.writer = writer
        self.door = door

    async def publish(
        self,
        room: Room,
        effects: list[Effect],
        history: HistoryRequest | None = None,
        also: Sequence[tuple[str, Params]] = (),
    ) -> None:
        rows: list[tuple[str, Params]] = list(also)
        seen: set[str] = set()
        presence = False
        for effect in effects:
            if isinstance(effect, MessageOut):
                said = effect.said
                if said.stanza_id and said.stanza_id not in seen:
                    seen.add(said.stanza_id)
                    rows.append(message_insert(room.local, said))
            elif isinstance(effect, PresenceOut):
                presence = True
        if presence:
            rows.extend(occupants.snapshot(room.local, occupant_rows(room.local, room.state)))
        # Joins also send the subject; only a change is written.
        if room.chat is not None and room.state.subject != room.saved_subject:
            rows.append((SET_SUBJECT, (room.state.subject, room.local)))
            room.saved_subject = room.state.subject
        if seen and room.archived is not None:
            room.archived += len(seen)
        if rows:
            await self.writer.write_many(rows)
        self.door.deliver(room.views, effects, history)
