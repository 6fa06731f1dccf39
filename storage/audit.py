"""The supervision audit log: who watched which chat, hidden, revealed, whispered,
took over, invited, transferred, closed — and when."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from storage.database import Database

INSERT = "INSERT INTO audit (stamp, chat_id, actor, action, detail) VALUES (?, ?, ?, ?, ?)"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    stamp: float
    chat_id: str
    actor: str
    action: str
    detail: str = ""


async def read(
    db: Database, chat_id: str | None = None, since: float = 0.0, limit: int = 1000
) -> builtins.list[AuditEntry]:
    sql = "SELECT stamp, chat_id, actor, action, detail FROM audit WHERE stamp >= ?"
    args: list[object] = [since]
    if chat_id is not None:
        sql += " AND chat_id = ?"
        args.append(chat_id)
    sql += " ORDER BY stamp, id LIMIT ?"
    args.append(limit)
    async with db.conn.execute(sql, args) as cur:
        return [AuditEntry(*r) async for r in cur]


async def coaching_of_open_chats(db: Database) -> list[tuple[str, str, str]]:
    """``(chat_id, action, agent)`` of every ``coaching on``/``coaching off`` in
    open chats, oldest first: replayed after a restart."""
    return [
        (str(chat_id), str(action), str(detail))
        for chat_id, action, detail in await db.fetch_all(
            "SELECT a.chat_id, a.action, a.detail FROM audit AS a"
            " JOIN chats AS c ON c.id = a.chat_id AND c.status != 'closed'"
            " WHERE a.action IN ('coaching on', 'coaching off') ORDER BY a.id"
        )
    ]
