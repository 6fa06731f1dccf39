"""Chats and left messages against a real SQLite file."""

from __future__ import annotations

from dataclasses import replace

from storage.chats import ChatRow, ChatStore
from storage.database import open_database


async def test_save_is_an_upsert_and_get_reads_back(tmp_path):
    async with await open_database(tmp_path / "h.sqlite") as db:
        store = ChatStore(db)
        row = ChatRow("chat-0123456789abcdef", "support", "waiting", 100.0, visitor_name="Alice")
        await store.save(row)
        assert await store.get(row.id) == row
        active = replace(row, status="active", assigned="jennie@localhost", assigned_at=105.0)
        await store.save(active)
        assert await store.get(row.id) == active
        assert await store.get("chat-missing") is None


async def test_created_since_orders_by_creation(tmp_path):
    async with await open_database(tmp_path / "h.sqlite") as db:
        store = ChatStore(db)
        for n, created in enumerate((300.0, 100.0, 200.0)):
            await store.save(ChatRow(f"chat-{n:016d}", "support", "waiting", created))
        rows = await store.created_since(150.0)
        assert [r.created for r in rows] == [200.0, 300.0]


async def test_left_messages_are_announced_once(tmp_path):
    async with await open_database(tmp_path / "h.sqlite") as db:
        store = ChatStore(db)
        await store.save(ChatRow("chat-0123456789abcdef", "support", "waiting", 1.0))
        await store.leave_message("chat-0123456789abcdef", 2.0, "call me back")
        await store.leave_message("chat-0123456789abcdef", 3.0, "please")
        left = await store.unannounced()
        assert [m.body for m in left] == ["call me back", "please"]
        await store.mark_announced([left[0].id])
        assert [m.body for m in await store.unannounced()] == ["please"]
    # Survives a reopen.
    async with await open_database(tmp_path / "h.sqlite") as db:
        assert [m.body for m in await ChatStore(db).unannounced()] == ["please"]
