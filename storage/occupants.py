"""Who is in each room, so a restarted component can carry on (restart recovery)."""

from __future__ import annotations

import builtins
from dataclasses import astuple, dataclass, fields, replace

import aiosqlite

from storage.writer import Params


@dataclass(frozen=True, slots=True)
class OccupantRow:
    chat_id: str
    session_jid: str
    position: int  # order of last presence; the highest represents the occupant
    nick: str
    jid: str
    role: str
    name: str
    hidden: bool
    show: str | None
    status: str | None


_COLUMNS = ", ".join(f.name for f in fields(OccupantRow))
DELETE_ROOM = "DELETE FROM occupants WHERE chat_id = ?"
INSERT = (
    f"INSERT INTO occupants ({_COLUMNS}) VALUES ({', '.join('?' for _ in fields(OccupantRow))})"
)


def snapshot(chat_id: str, rows: builtins.list[OccupantRow]) -> builtins.list[tuple[str, Params]]:
    """Statements that replace the stored occupants of one room."""
    return [(DELETE_ROOM, (chat_id,)), *((INSERT, astuple(row)) for row in rows)]


async def load_all(conn: aiosqlite.Connection) -> dict[str, builtins.list[OccupantRow]]:
    """Every room's stored occupants in one query, by room, in presence order."""
    rooms: dict[str, builtins.list[OccupantRow]] = {}
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM occupants ORDER BY chat_id, position"
    ) as cur:
        async for r in cur:
            row = replace(OccupantRow(*r), hidden=bool(r[7]))
            rooms.setdefault(row.chat_id, []).append(row)
    return rooms


async def load(conn: aiosqlite.Connection, chat_id: str) -> builtins.list[OccupantRow]:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM occupants WHERE chat_id = ? ORDER BY position", (chat_id,)
    ) as cur:
        # SQLite hands booleans back as integers.
        return [replace(OccupantRow(*r), hidden=bool(r[7])) async for r in cur]
