"""The schema, as an append-only list of migration scripts.

Script ``i`` (0-based) brings the database to ``PRAGMA user_version = i + 1``.
Never edit a script that has shipped: databases in the field already ran it.
Append a new one instead.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: per-installation secrets and the staff directory.
    """
    CREATE TABLE secret_keys (
        name TEXT PRIMARY KEY,
        key BLOB NOT NULL CHECK (length(key) = 32)
    );

    CREATE TABLE staff (
        jid TEXT PRIMARY KEY CHECK (jid = lower(jid)),
        role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
        team TEXT NOT NULL,
        name TEXT NOT NULL,
        -- str.casefold() of name: SQLite's NOCASE folds ASCII only, and display
        -- names are Unicode, so uniqueness is enforced on a Python-folded copy.
        name_key TEXT NOT NULL UNIQUE,
        max_chats INTEGER NOT NULL CHECK (max_chats BETWEEN 1 AND 100)
    );
    """,
)
