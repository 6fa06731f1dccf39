"""Archive pages read from an index, against a real SQLite file.

The page the archive reads must be the page the policy defines
(``roles.archive.page`` over every message in memory), for every reader; it must
touch about the page and never the whole chat; and rows archived before the
visitor flag existed get it from the migration as the policy would decide it.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from component.muc.content import Content
from component.muc.recorder import message_row, said_from_rows
from roles.archive import PageRequest, page, page_size, visitor_view
from roles.effects import Said
from roles.model import Occupant
from roles.refusal import Refused
from roles.visibility import heard_by_visitors, hears_said
from storage.archive import INSERT, Archive, UnknownId, Window, params
from storage.database import Database, open_database
from storage.migrations import MIGRATIONS

CHAT = "chat-0123456789abcdef"
VISITOR = Occupant("Alice (visitor)", "alice@guest", "visitor", "Alice")
AGENT = Occupant("Jennie", "jennie@x", "agent", "Jennie")
JOHN = Occupant("John", "john@x", "supervisor", "John")
SENDERS = [VISITOR, AGENT, JOHN, replace(JOHN, hidden=True), replace(AGENT, hidden=True)]
READERS = [VISITOR, Occupant("Bob (visitor)", "bob@guest", "visitor", "Bob"), AGENT, JOHN]


@st.composite
def conversations(draw, size=30):
    """Messages as the room says them: whispers, hidden speakers, and corrections
    or reactions of any earlier message; stamps may repeat."""
    said: list[Said] = []
    stamp = 1000.0
    for n in range(draw(st.integers(0, size))):
        stamp += draw(st.sampled_from([0.0, 0.5, 1.0]))
        refers = draw(st.one_of(st.none(), st.sampled_from(said))) if said else None
        sender = draw(st.sampled_from(SENDERS))
        staff_only = draw(st.booleans()) and sender.is_staff
        said.append(Said(sender, staff_only, stamp, f"m{n}", Content(None, f"b{n}"), refers))
    return said


async def fill(db: Database, said: list[Said], chat: str = CHAT) -> None:
    async with db.transaction() as conn:
        await conn.executemany(INSERT, [params(message_row(chat, s)) for s in said])


def window(reader: Occupant, request: PageRequest, chat: str = CHAT) -> Window:
    return Window(
        chat,
        visitor_view(reader),
        request.start,
        request.end,
        request.after,
        request.before,
        page_size(request),
    )


def requests(said: list[Said]) -> st.SearchStrategy[PageRequest]:
    ids = st.sampled_from([s.stanza_id for s in said]) if said else st.nothing()
    marks = st.one_of(st.none(), st.just("unknown"), ids)
    stamps = st.one_of(st.none(), st.floats(990, 1040))
    return st.builds(
        PageRequest,
        start=stamps,
        end=stamps,
        after=marks,
        before=st.one_of(marks, st.just("")),
        max=st.integers(-2, 12),
    )


def in_fresh_file(body):
    """A fresh database file per generated example."""

    async def main() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            await body(Path(tmp) / "h.sqlite")

    asyncio.run(main())


def run(body):
    async def opened(path: Path) -> None:
        async with await open_database(path) as db:
            await body(db)

    in_fresh_file(opened)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_the_indexed_page_is_the_page_the_policy_defines(data):
    said = data.draw(conversations())
    asks = [(data.draw(st.sampled_from(READERS)), data.draw(requests(said))) for _ in range(8)]

    async def check(db: Database) -> None:
        await fill(db, said)
        other = [replace(s, stanza_id=f"o{s.stanza_id}") for s in data.draw(conversations(5))]
        await fill(db, other, "chat-another-one-0000")
        archive = Archive(db)
        for reader, request in asks:
            try:
                expected = page(said, reader, request)
            except Refused:
                with pytest.raises(UnknownId):
                    await archive.page(window(reader, request))
                continue
            got = await archive.page(window(reader, request))
            assert [r.stanza_id for r in got.rows] == [s.stanza_id for s in expected.items]
            assert (got.count, got.first_index, got.complete) == (
                expected.count,
                expected.first_index,
                expected.complete,
            )

    run(check)


@settings(max_examples=100, deadline=None)
@given(conversations(), st.integers(0, 40), st.integers(0, 40))
def test_rows_read_without_what_they_refer_to_are_heard_as_live(said, skip, take):
    """A page or the recent history need not hold what its rows refer to; the
    rebuilt messages are still heard by exactly whom the live ones were."""
    rows = [message_row(CHAT, s) for s in said][skip : skip + take]
    for live, rebuilt in zip(said[skip : skip + take], said_from_rows(rows), strict=True):
        for reader in READERS:
            assert hears_said(reader, rebuilt) == hears_said(reader, live)


@settings(max_examples=60, deadline=None)
@given(conversations(size=40))
def test_the_migration_backfills_what_visitors_heard(said):
    async def check(path: Path) -> None:
        old = await open_database(path, MIGRATIONS[:3])
        columns = (
            "chat_id, stanza_id, stamp, sender_nick, sender_jid, sender_role, sender_name, "
            "sender_hidden, staff_only, refers_to, content"
        )
        async with old.transaction() as conn:
            await conn.executemany(
                f"INSERT INTO messages ({columns}) VALUES ({', '.join('?' * 11)})",
                [
                    (*(p := params(message_row(CHAT, s)))[:9], *p[10:])
                    for s in said  # everything but for_visitor
                ],
            )
        await old.close()
        async with await open_database(path) as new:
            rows = await Archive(new).chat(CHAT)
        assert [r.for_visitor for r in rows] == [heard_by_visitors(s) for s in said]

    in_fresh_file(check)


async def test_recent_is_the_newest_oldest_first(tmp_path):
    said = [Said(VISITOR, False, 1000.0 + n // 2, f"m{n}", Content(None, "x")) for n in range(9)]
    async with await open_database(tmp_path / "h.sqlite") as db:
        await fill(db, said)
        archive = Archive(db)
        assert [r.stanza_id for r in await archive.recent(CHAT, 3)] == ["m6", "m7", "m8"]
        assert len(await archive.recent(CHAT, 100)) == 9
        assert await archive.recent(CHAT, 0) == []


# -- cost: a page touches about the page --------------------------------------


def big_conversation(n: int, prefix: str = "m") -> list[Said]:
    out: list[Said] = []
    for i in range(n):
        sender, staff_only = [(VISITOR, False), (AGENT, False), (JOHN, True)][i % 3]
        out.append(Said(sender, staff_only, 1000.0 + i, f"{prefix}{i}", Content(None, "x" * 200)))
    return out


ASKS = [
    PageRequest(max=10),
    PageRequest(max=10, before=""),
    PageRequest(max=10, after="m2500"),
    PageRequest(max=10, before="m2499"),
    PageRequest(max=10, after="m1000", before="m4000"),
    PageRequest(max=10, start=3000.0, end=5000.0),
    PageRequest(max=0),
]


async def statements_of(db: Database, body) -> list[str]:
    seen: list[str] = []
    await db.conn.set_trace_callback(seen.append)
    try:
        await body()
    finally:
        await db.conn.set_trace_callback(None)
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]


async def plan(db: Database, sql: str) -> str:
    async with db.conn.execute(f"EXPLAIN QUERY PLAN {sql}") as cur:
        return " | ".join([str(r[3]) async for r in cur])


async def steps(db: Database, sql: str) -> int:
    """Virtual machine instructions SQLite runs for ``sql``, in hundreds."""
    count = 0

    def tick() -> int:
        nonlocal count
        count += 1
        return 0

    await db.conn.set_progress_handler(tick, 100)
    try:
        async with db.conn.execute(sql) as cur:
            await cur.fetchall()
    finally:
        await db.conn.set_progress_handler(None, 100)
    return count


@pytest.mark.parametrize("reader", [VISITOR, AGENT], ids=["visitor", "staff"])
async def test_a_page_of_ten_reads_the_index_not_the_chat(tmp_path, reader):
    async with await open_database(tmp_path / "h.sqlite") as db:
        await fill(db, big_conversation(5000))
        await fill(db, big_conversation(500, "s"), "chat-small-one-00000")
        archive = Archive(db)
        full = await steps(db, f"SELECT * FROM messages WHERE chat_id = '{CHAT}'")
        for request in ASKS:
            sql = await statements_of(db, lambda r=request: archive.page(window(reader, r)))
            assert sql, request
            for statement in sql:
                how = await plan(db, statement)
                # Every read is a search of an index; nothing scans the table or sorts.
                assert how.startswith("SEARCH messages USING"), (statement, how)
                assert "SCAN" not in how and "TEMP B-TREE" not in how, (statement, how)
                if "count(" in statement:
                    assert "COVERING INDEX" in how, (statement, how)
                else:
                    # The page's own rows: about the page, whatever the chat's size.
                    assert await steps(db, statement) * 20 < full, statement


async def test_the_same_page_costs_the_same_in_a_small_and_a_big_chat(tmp_path):
    async with await open_database(tmp_path / "h.sqlite") as db:
        await fill(db, big_conversation(5000))
        small = "chat-small-one-00000"
        await fill(
            db, [replace(s, stanza_id=f"s{s.stanza_id}") for s in big_conversation(50)], small
        )
        archive = Archive(db)
        for reader in (VISITOR, AGENT):
            request = PageRequest(max=10, before="")
            big_sql = await statements_of(
                db, lambda r=reader, q=request: archive.page(window(r, q))
            )
            small_sql = await statements_of(
                db, lambda r=reader, q=request: archive.page(window(r, q, small))
            )
            rows = [s for s in big_sql if "count(" not in s]
            small_rows = [s for s in small_sql if "count(" not in s]
            assert len(rows) == len(small_rows) == 1
            assert await steps(db, rows[0]) <= 2 * max(1, await steps(db, small_rows[0]))
