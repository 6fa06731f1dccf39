"""Visitors' ratings of their closed chats: a score of 1 to 5 and a comment,
one per chat (``docs/visitor-protocol.md``)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from storage.database import Database


@dataclass(frozen=True, slots=True)
class Rating:
    chat_id: str
    stamp: float
    score: int
    comment: str = ""


class Ratings:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, rating: Rating) -> bool:
        """Store ``rating``; False if the chat was rated already (the first stays)."""

        def insert(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "INSERT INTO ratings (chat_id, stamp, score, comment) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (chat_id) DO NOTHING",
                (rating.chat_id, rating.stamp, rating.score, rating.comment),
            ).rowcount

        return bool(await self.db.run_transaction(insert))

    async def get(self, chat_id: str) -> Rating | None:
        found = await self.db.fetch_one(
            "SELECT chat_id, stamp, score, comment FROM ratings WHERE chat_id = ?", (chat_id,)
        )
        return Rating(*found) if found is not None else None
