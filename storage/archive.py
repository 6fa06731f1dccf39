"""The message archive: every message said in a chat, with who said it as they
were then (nick, role, hidden) and whether it was for staff only. Visibility is
decided from these columns by the policy, never stored per viewer."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from storage.database import Database


@dataclass(frozen=True, slots=True)
class MessageRow:
    chat_id: str
    stanza_id: str
    stamp: float
    sender_nick: str
    sender_jid: str
    sender_role: str
    sender_name: str
    sender_hidden: bool
    staff_only: bool
    refers_to: str | None
    content: str  # JSON of what the room reflects


_COLUMNS = ", ".join(f.name for f in fields(MessageRow))
INSERT = f"INSERT INTO messages ({_COLUMNS}) VALUES ({', '.join('?' for _ in fields(MessageRow))})"


_NAMES = tuple(f.name for f in fields(MessageRow))


def params(row: MessageRow) -> tuple[object, ...]:
    # Not dataclasses.astuple: it deep-copies, and this runs once per message.
    return tuple(getattr(row, name) for name in _NAMES)


def _row(values: Sequence[Any]) -> MessageRow:
    # SQLite hands booleans back as integers.
    return replace(MessageRow(*values), sender_hidden=bool(values[7]), staff_only=bool(values[8]))


class Archive:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def chat(self, chat_id: str) -> builtins.list[MessageRow]:
        """All of a chat's messages, oldest first."""
        async with self.db.conn.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE chat_id = ? ORDER BY stamp, id", (chat_id,)
        ) as cur:
            return [_row(tuple(r)) async for r in cur]

    async def chat_ids_since(self, since: float) -> builtins.list[str]:
        async with self.db.conn.execute(
            "SELECT id FROM chats WHERE created >= ? ORDER BY created", (since,)
        ) as cur:
            return [r[0] async for r in cur]

    async def purge_before(self, before: float) -> tuple[int, int]:
        """Delete closed chats that ended before ``before`` with their messages and
        audit; returns (chats, messages) deleted."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "SELECT id FROM chats WHERE status = 'closed' AND closed < ?", (before,)
            )
            ids = [r[0] for r in await cur.fetchall()]
            messages = 0
            for chat_id in ids:
                cur = await conn.execute("DELETE FROM messages WHERE chat_id = ?", (chat_id,))
                messages += cur.rowcount
                await conn.execute("DELETE FROM left_messages WHERE chat_id = ?", (chat_id,))
                await conn.execute("DELETE FROM audit WHERE chat_id = ?", (chat_id,))
                await conn.execute("DELETE FROM occupants WHERE chat_id = ?", (chat_id,))
                await conn.execute("DELETE FROM chats WHERE id = ?", (chat_id,))
        return len(ids), messages
