"""Chats and the messages visitors left while nobody was available."""

from __future__ import annotations

import builtins
from dataclasses import astuple, dataclass, fields

from storage.database import Database


@dataclass(frozen=True, slots=True)
class ChatRow:
    id: str
    team: str
    status: str
    created: float
    visitor_jid: str = ""
    visitor_name: str = ""
    visitor_email: str = ""
    visitor_page: str = ""
    visitor_agent: str = ""
    first_message: str = ""
    assigned: str | None = None
    assigned_at: float | None = None
    answered: float | None = None
    closed: float | None = None
    close_reason: str = ""


@dataclass(frozen=True, slots=True)
class LeftMessage:
    id: int
    chat_id: str
    stamp: float
    body: str


_COLUMNS = ", ".join(f.name for f in fields(ChatRow))
_PLACEHOLDERS = ", ".join("?" for _ in fields(ChatRow))
_UPDATES = ", ".join(f"{f.name} = excluded.{f.name}" for f in fields(ChatRow) if f.name != "id")


def upsert(row: ChatRow) -> tuple[str, tuple[object, ...]]:
    """The statement that stores ``row``, new or not."""
    return UPSERT, astuple(row)


UPSERT = (
    f"INSERT INTO chats ({_COLUMNS}) VALUES ({_PLACEHOLDERS}) "
    f"ON CONFLICT (id) DO UPDATE SET {_UPDATES}"
)


class ChatStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, row: ChatRow) -> None:
        sql, params = upsert(row)
        await self.db.run_transaction(lambda conn: conn.execute(sql, params))

    async def matching(self, prefix: str, limit: int = 2) -> builtins.list[str]:
        """Ids of chats starting with ``prefix`` (a whole id or the short one the
        desk shows); the caller decides what several mean."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await self.db.fetch_all(
            "SELECT id FROM chats WHERE id LIKE ? ESCAPE '\\' ORDER BY created LIMIT ?",
            (f"{escaped}%", limit),
        )
        return [str(r[0]) for r in rows]

    async def get(self, chat_id: str) -> ChatRow | None:
        found = await self.db.fetch_one(f"SELECT {_COLUMNS} FROM chats WHERE id = ?", (chat_id,))
        return ChatRow(*found) if found is not None else None

    async def created_since(self, since: float) -> builtins.list[ChatRow]:
        rows = await self.db.fetch_all(
            f"SELECT {_COLUMNS} FROM chats WHERE created >= ? ORDER BY created", (since,)
        )
        return [ChatRow(*row) for row in rows]

    async def leave_message(self, chat_id: str, stamp: float, body: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO left_messages (chat_id, stamp, body) VALUES (?, ?, ?)",
                (chat_id, stamp, body),
            )

    async def unannounced(self) -> builtins.list[LeftMessage]:
        async with self.db.conn.execute(
            "SELECT id, chat_id, stamp, body FROM left_messages WHERE announced = 0 "
            "ORDER BY stamp, id"
        ) as cur:
            return [LeftMessage(*row) async for row in cur]

    async def mark_announced(self, ids: builtins.list[int]) -> None:
        async with self.db.transaction() as conn:
            await conn.executemany(
                "UPDATE left_messages SET announced = 1 WHERE id = ?", [(i,) for i in ids]
            )


async def open_chats(db: Database) -> builtins.list[tuple[ChatRow, str]]:
    """Chats not yet closed, with their subjects, for restart recovery."""
    async with db.conn.execute(
        f"SELECT {_COLUMNS}, subject FROM chats WHERE status != 'closed' ORDER BY created"
    ) as cur:
        return [(ChatRow(*row[:-1]), row[-1]) async for row in cur]
