import sqlite3

import pytest

from storage.database import MigrationError, open_database
from storage.migrations import MIGRATIONS


async def test_open_creates_schema_at_latest_version(tmp_path):
    async with await open_database(tmp_path / "huddle.sqlite") as db:
        assert await db.schema_version() == len(MIGRATIONS)
        async with db.conn.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"
        async with db.conn.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1
        async with db.conn.execute("PRAGMA synchronous") as cur:
            assert (await cur.fetchone())[0] == 1  # NORMAL


async def test_migrations_are_idempotent_across_reopen(tmp_path):
    path = tmp_path / "huddle.sqlite"
    async with await open_database(path) as db:
        await db.conn.execute("INSERT INTO secret_keys (name, key) VALUES ('x', zeroblob(32))")
        await db.conn.commit()
    async with await open_database(path) as db:
        assert await db.schema_version() == len(MIGRATIONS)
        async with db.conn.execute("SELECT count(*) FROM secret_keys") as cur:
            assert (await cur.fetchone())[0] == 1


async def test_new_migration_applies_on_reopen_and_only_once(tmp_path):
    path = tmp_path / "huddle.sqlite"
    await (await open_database(path)).close()
    extra = (*MIGRATIONS, "CREATE TABLE extra (a INTEGER);\nINSERT INTO extra VALUES (1);")
    for _ in range(2):
        async with await open_database(path, extra) as db:
            assert await db.schema_version() == len(extra)
            async with db.conn.execute("SELECT count(*) FROM extra") as cur:
                assert (await cur.fetchone())[0] == 1


async def test_failed_migration_is_rolled_back_whole(tmp_path):
    path = tmp_path / "huddle.sqlite"
    broken = (*MIGRATIONS, "CREATE TABLE half (a INTEGER);\nINSERT INTO nowhere VALUES (1);")
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        await open_database(path, broken)
    async with await open_database(path) as db:
        assert await db.schema_version() == len(MIGRATIONS)
        async with db.conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'") as cur:
            assert (await cur.fetchone())[0] == 0


async def test_database_newer_than_code_is_refused(tmp_path):
    path = tmp_path / "huddle.sqlite"
    await (await open_database(path, (*MIGRATIONS, "CREATE TABLE later (a);"))).close()
    with pytest.raises(MigrationError, match="newer"):
        await open_database(path)


async def test_secret_key_is_random_32_bytes_and_stable_across_reopen(tmp_path):
    path = tmp_path / "huddle.sqlite"
    async with await open_database(path) as db:
        first = await db.secret_key("occupant-id")
        assert len(first) == 32
        assert await db.secret_key("occupant-id") == first
        other = await db.secret_key("something-else")
        assert other != first
    async with await open_database(path) as db:
        assert await db.secret_key("occupant-id") == first
        assert await db.secret_key("something-else") == other


async def test_secret_keys_differ_between_databases(tmp_path):
    async with (
        await open_database(tmp_path / "a.sqlite") as a,
        await open_database(tmp_path / "b.sqlite") as b,
    ):
        assert await a.secret_key("occupant-id") != await b.secret_key("occupant-id")


async def test_transaction_rolls_back_on_error(tmp_path):
    async with await open_database(tmp_path / "huddle.sqlite") as db:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO secret_keys VALUES ('gone', zeroblob(32))")
                raise RuntimeError("boom")
        async with db.conn.execute("SELECT count(*) FROM secret_keys") as cur:
            assert (await cur.fetchone())[0] == 0
        assert not db.conn.in_transaction
