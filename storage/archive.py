"""The message archive: every message said in a chat, with who said it as they
were then (nick, role, hidden), whether it was for staff only, and whether a
visitor hears it (``for_visitor``, decided by the policy when it was said).

Pages are read from the index on (chat_id, for_visitor, stamp, id), or on
(chat_id, stamp, id) for readers who see everything, so a page costs its own
rows plus index-only counts, never a read of the whole chat (XEP-0313 with
XEP-0059 paging).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, fields
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
    for_visitor: bool
    refers_to: str | None
    content: str  # JSON of what the room reflects


_NAMES = tuple(f.name for f in fields(MessageRow))
_COLUMNS = ", ".join(_NAMES)
INSERT = f"INSERT INTO messages ({_COLUMNS}) VALUES ({', '.join('?' for _ in _NAMES)})"
_FLAGS = tuple(_NAMES.index(name) for name in ("sender_hidden", "staff_only", "for_visitor"))


def params(row: MessageRow) -> tuple[object, ...]:
    # Not dataclasses.astuple: it deep-copies, and this runs once per message.
    return tuple(getattr(row, name) for name in _NAMES)


def _row(values: Sequence[Any]) -> MessageRow:
    # SQLite hands booleans back as integers.
    converted = list(values)
    for index in _FLAGS:
        converted[index] = bool(converted[index])
    return MessageRow(*converted)


@dataclass(frozen=True, slots=True)
class Window:
    """Which page of a chat's archive to read."""

    chat_id: str
    visitor_view: bool  # only the rows a visitor hears
    start: float | None = None
    end: float | None = None
    after: str | None = None  # a stanza-id: the page starts after it
    before: str | None = None  # a stanza-id the page ends before; "" for the last page
    limit: int = 100


@dataclass(frozen=True, slots=True)
class RowPage:
    rows: tuple[MessageRow, ...]
    count: int  # every row of the view and time range, not only this page
    first_index: int | None  # the position of rows[0] among them
    complete: bool  # nothing more in the paging direction


class UnknownId(LookupError):
    """An after or before id that is not among the rows the window reads."""


def _where(window: Window) -> tuple[str, list[object]]:
    sql = "chat_id = ?"
    args: list[object] = [window.chat_id]
    if window.visitor_view:
        sql += " AND for_visitor = 1"
    if window.start is not None:
        sql += " AND stamp >= ?"
        args.append(window.start)
    if window.end is not None:
        sql += " AND stamp <= ?"
        args.append(window.end)
    return sql, args


class Archive:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def chat(self, chat_id: str) -> builtins.list[MessageRow]:
        """All of a chat's messages, oldest first: for transcripts, not for paging."""
        return await self._rows(
            f"SELECT {_COLUMNS} FROM messages WHERE chat_id = ? ORDER BY stamp, id", (chat_id,)
        )

    async def last_stamps(self) -> dict[str, float]:
        """Each chat's newest message time, in one pass over the index."""
        async with self.db.conn.execute(
            "SELECT chat_id, MAX(stamp) FROM messages GROUP BY chat_id"
        ) as cur:
            return {r[0]: float(r[1]) async for r in cur}

    async def recent(self, chat_id: str, limit: int) -> builtins.list[MessageRow]:
        """The newest ``limit`` messages of a chat, oldest first."""
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM messages WHERE chat_id = ? "
            "ORDER BY stamp DESC, id DESC LIMIT ?",
            (chat_id, max(0, limit)),
        )
        rows.reverse()
        return rows

    async def page(self, window: Window) -> RowPage:
        """One page, oldest first; paging backwards when ``before`` is given.

        Raises ``UnknownId`` for an after or before id outside the window's view
        and time range, so that an id the reader may not see is as unknown as
        one that never existed.
        """
        where, args = _where(window)
        count = await self._count(where, args)
        low = await self._key(where, args, window.after) if window.after else None
        high = await self._key(where, args, window.before) if window.before else None
        bounded, bounded_args = where, list(args)
        if low is not None:
            bounded += " AND (stamp, id) > (?, ?)"
            bounded_args.extend(low)
        if high is not None:
            bounded += " AND (stamp, id) < (?, ?)"
            bounded_args.extend(high)
        backwards = window.before is not None
        order = "DESC" if backwards else "ASC"
        limit = max(0, window.limit)
        # One row more than asked tells whether the page is the last one.
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM messages WHERE {bounded} "
            f"ORDER BY stamp {order}, id {order} LIMIT ?",
            (*bounded_args, limit + 1),
        )
        complete = len(rows) <= limit
        del rows[limit:]
        if not rows:
            return RowPage((), count, None, complete)
        if backwards:
            rows.reverse()
            end = count
            if high is not None:
                end = await self._count(f"{where} AND (stamp, id) < (?, ?)", [*args, *high])
            first = end - len(rows)
        elif low is None:
            first = 0
        else:
            first = await self._count(f"{where} AND (stamp, id) <= (?, ?)", [*args, *low])
        return RowPage(tuple(rows), count, first, complete)

    async def _key(self, where: str, args: list[object], stanza_id: str) -> tuple[float, int]:
        found = await self.db.fetch_one(
            f"SELECT stamp, id FROM messages WHERE stanza_id = ? AND {where}", (stanza_id, *args)
        )
        if found is None:
            raise UnknownId(stanza_id)
        return float(found[0]), int(found[1])

    async def _count(self, where: str, args: Sequence[object]) -> int:
        found = await self.db.fetch_one(f"SELECT count(*) FROM messages WHERE {where}", args)
        assert found is not None
        return int(found[0])

    async def _rows(self, sql: str, args: Sequence[object]) -> builtins.list[MessageRow]:
        return [_row(r) for r in await self.db.fetch_all(sql, args)]

    async def size(self, chat_id: str) -> int:
        """How many messages a chat's archive holds (for its size limit)."""
        return await self._count("chat_id = ?", (chat_id,))

    async def chat_ids_since(self, since: float) -> builtins.list[str]:
        rows = await self.db.fetch_all(
            "SELECT id FROM chats WHERE created >= ? ORDER BY created", (since,)
        )
        return [r[0] for r in rows]

    async def purge_before(self, before: float) -> tuple[int, int]:
        """Delete closed chats that ended before ``before`` with their messages,
        audit and rating; returns (chats, messages) deleted."""
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
                await conn.execute("DELETE FROM ratings WHERE chat_id = ?", (chat_id,))
                await conn.execute("DELETE FROM chats WHERE id = ?", (chat_id,))
        return len(ids), messages
