"""Ratings against a real SQLite file: one per chat, the first stays, and
``huddle purge`` takes a chat's rating with it."""

from __future__ import annotations

import asyncio

from storage.archive import Archive
from storage.chats import ChatRow, ChatStore
from storage.database import open_database
from storage.ratings import Rating, Ratings

CHAT = "chat-0123456789abcdef"


async def test_one_rating_per_chat_and_the_first_stays(tmp_path):
    async with await open_database(tmp_path / "h.sqlite") as db:
        ratings = Ratings(db)
        assert await ratings.get(CHAT) is None
        first = Rating(CHAT, 100.0, 4, "Quick and kind\nthanks")
        assert await ratings.add(first)
        assert not await ratings.add(Rating(CHAT, 101.0, 1, "changed my mind"))
        assert await ratings.get(CHAT) == first


async def test_two_ratings_at_once_store_exactly_one(tmp_path):
    async with await open_database(tmp_path / "h.sqlite") as db:
        ratings = Ratings(db)
        stored = await asyncio.gather(
            *(ratings.add(Rating(CHAT, 100.0 + n, n, "")) for n in range(1, 6))
        )
        assert sorted(stored) == [False, False, False, False, True]
        kept = await ratings.get(CHAT)
        assert kept is not None and kept.score == stored.index(True) + 1


async def test_purge_removes_the_rating_of_a_purged_chat_only(tmp_path):
    async with await open_database(tmp_path / "h.sqlite") as db:
        store, ratings = ChatStore(db), Ratings(db)
        old, recent = "chat-0000000000000001", "chat-0000000000000002"
        await store.save(ChatRow(old, "support", "closed", 10.0, closed=20.0))
        await store.save(ChatRow(recent, "support", "closed", 1000.0, closed=2000.0))
        await ratings.add(Rating(old, 30.0, 5))
        await ratings.add(Rating(recent, 2100.0, 2))
        assert await Archive(db).purge_before(500.0) == (1, 0)
        assert await ratings.get(old) is None
        assert await ratings.get(recent) is not None
