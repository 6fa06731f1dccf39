"""One SQLite database, opened through aiosqlite and migrated to the current schema."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import aiosqlite

from storage.migrations import MIGRATIONS

SECRET_KEY_BYTES = 32
T = TypeVar("T")


class MigrationError(RuntimeError):
    """The database is newer than this code, or a migration script failed."""


class Database:
    """Wraps one aiosqlite connection; other storage modules use ``conn`` and ``transaction``.

    All writes should go through ``transaction()``: the connection is shared by
    every coroutine, and the lock keeps one coroutine's statements from landing
    inside another's open transaction.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._keys: dict[str, bytes] = {}

    @property
    def conn(self) -> aiosqlite.Connection:
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the body in one IMMEDIATE transaction: committed on success, else rolled back."""
        async with self._lock:
            # IMMEDIATE takes the write lock up front, so a read-then-write body
            # cannot be overtaken by another process writing in between.
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.rollback()
                raise
            await self._conn.commit()

    async def run_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` in one IMMEDIATE transaction, wholly on the database's thread.

        ``transaction()`` costs a hop to aiosqlite's thread and a wake-up of the
        event loop per statement; this costs one for the whole transaction (BEGIN,
        the statements, COMMIT). ``work`` gets the plain sqlite3 connection and
        must not touch the event loop. Committed when it returns, rolled back if
        it (or the commit) raises.
        """

        def run() -> T:
            # Only called on aiosqlite's thread, where the connection lives.
            raw: sqlite3.Connection = self._conn._conn
            raw.execute("BEGIN IMMEDIATE")
            try:
                result = work(raw)
                raw.commit()
            except BaseException:
                raw.rollback()
                raise
            return result

        async with self._lock:
            # aiosqlite has no public call for running a function on its thread;
            # ``_execute`` is the one its own methods use.
            return await self._conn._execute(run)  # type: ignore[no-any-return]

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Every row of one query, in one hop to the database's thread (a cursor
        costs a hop for the query, one per fetch and one to close)."""
        return [tuple(row) for row in await self._conn.execute_fetchall(sql, params)]

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def secret_key(self, name: str) -> bytes:
        """A random 32-byte key named ``name``: made on first use, then the same forever."""
        cached = self._keys.get(name)
        if cached is not None:
            return cached
        async with self.transaction() as conn:
            # INSERT OR IGNORE: if another process made the key first, keep theirs.
            await conn.execute(
                "INSERT OR IGNORE INTO secret_keys (name, key) VALUES (?, ?)",
                (name, os.urandom(SECRET_KEY_BYTES)),
            )
            async with conn.execute("SELECT key FROM secret_keys WHERE name = ?", (name,)) as cur:
                row = await cur.fetchone()
        assert row is not None
        key = bytes(row[0])
        self._keys[name] = key
        return key

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        assert row is not None
        return int(row[0])

    async def close(self) -> None:
        await self._conn.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _statements(script: str) -> list[str]:
    """Split a script into statements, leaving trigger bodies whole.

    ``executescript`` would commit our open transaction before running, so each
    statement is executed on its own inside the migration's transaction.
    """
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise MigrationError(f"incomplete SQL statement at end of migration: {pending.strip()!r}")
    return statements


async def migrate(db: Database, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Apply every migration the database has not had yet; returns the resulting version."""
    target = len(migrations)
    for index, script in enumerate(migrations):
        version = index + 1
        async with db.transaction() as conn:
            # Read inside the write lock: another process may have migrated meanwhile.
            current = await db.schema_version()
            if current > target:
                raise MigrationError(
                    f"{db.path}: schema version {current} is newer than this code ({target})"
                )
            if current >= version:
                continue
            for statement in _statements(script):
                await conn.execute(statement)
            # PRAGMA takes no parameters; version is an int we computed.
            await conn.execute(f"PRAGMA user_version = {version}")
    final = await db.schema_version()
    if final > target:
        raise MigrationError(
            f"{db.path}: schema version {final} is newer than this code ({target})"
        )
    return final


async def open_database(path: Path | str, migrations: Sequence[str] = MIGRATIONS) -> Database:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
    path = Path(path)
    conn = await aiosqlite.connect(path)
    db = Database(conn, path)
    try:
        # journal_mode answers with a row; the other pragmas are silent.
        async with conn.execute("PRAGMA journal_mode = WAL") as cur:
            await cur.fetchone()
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await migrate(db, migrations)
    except BaseException:
        await db.close()
        raise
    return db
