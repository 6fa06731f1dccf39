"""The batch writer: committed before the caller hears back, in order, and a
failing batch fails its callers and leaves nothing behind."""

import asyncio
import sqlite3

import pytest

from storage.database import open_database
from storage.writer import BatchWriter

PUT = "INSERT INTO secret_keys (name, key) VALUES (?, zeroblob(32))"
DROP = "DELETE FROM secret_keys WHERE name = ?"


def names(path) -> list[str]:
    # A second connection sees only what is committed.
    with sqlite3.connect(path) as other:
        return [r[0] for r in other.execute("SELECT name FROM secret_keys ORDER BY name")]


async def test_rows_are_committed_when_write_returns_and_order_is_kept(tmp_path):
    path = tmp_path / "huddle.sqlite"
    async with await open_database(path) as db:
        writer = BatchWriter(db)
        writer.start()
        await asyncio.gather(
            writer.write_many([(PUT, ("a",)), (PUT, ("b",)), (DROP, ("a",)), (PUT, ("c",))]),
            writer.write(PUT, ("d",)),
        )
        assert names(path) == ["b", "c", "d"]
        assert writer.commits == 1
        await writer.stop()


async def test_a_failing_batch_fails_its_callers_and_is_rolled_back(tmp_path):
    path = tmp_path / "huddle.sqlite"
    async with await open_database(path) as db:
        writer = BatchWriter(db)
        writer.start()
        first = asyncio.ensure_future(writer.write(PUT, ("x",)))
        clash = asyncio.ensure_future(writer.write(PUT, ("x",)))  # primary key taken
        results = await asyncio.gather(first, clash, return_exceptions=True)
        assert all(isinstance(r, sqlite3.IntegrityError) for r in results)
        assert names(path) == []
        # The writer goes on, and the connection is not left in a transaction.
        await writer.write(PUT, ("y",))
        assert names(path) == ["y"]
        async with db.transaction() as conn:
            await conn.execute(PUT, ("z",))
        assert names(path) == ["y", "z"]
        await writer.stop()


async def test_stop_writes_what_was_queued(tmp_path):
    path = tmp_path / "huddle.sqlite"
    async with await open_database(path) as db:
        writer = BatchWriter(db)
        writer.start()
        pending = [asyncio.ensure_future(writer.write(PUT, (f"n{i}",))) for i in range(50)]
        await asyncio.sleep(0)
        await writer.stop()
        await asyncio.gather(*pending)
        assert len(names(path)) == 50


@pytest.mark.parametrize("bad", ["SELECT nonsense FROM nowhere"])
async def test_a_bad_statement_fails_only_its_batch(tmp_path, bad):
    path = tmp_path / "huddle.sqlite"
    async with await open_database(path) as db:
        writer = BatchWriter(db)
        writer.start()
        with pytest.raises(sqlite3.OperationalError):
            await writer.write_many([(PUT, ("p",)), (bad, ())])
        assert names(path) == []
        await writer.write(PUT, ("q",))
        assert names(path) == ["q"]
        await writer.stop()
