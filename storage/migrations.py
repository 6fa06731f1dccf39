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
    # 2: chats (lifecycle and times) and messages left while nobody was available.
    """
    CREATE TABLE chats (
        id TEXT PRIMARY KEY,
        team TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'closed')),
        created REAL NOT NULL,
        visitor_jid TEXT NOT NULL DEFAULT '',
        visitor_name TEXT NOT NULL DEFAULT '',
        visitor_email TEXT NOT NULL DEFAULT '',
        visitor_page TEXT NOT NULL DEFAULT '',
        visitor_agent TEXT NOT NULL DEFAULT '',
        first_message TEXT NOT NULL DEFAULT '',
        assigned TEXT,
        assigned_at REAL,
        answered REAL,
        closed REAL,
        close_reason TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX chats_created ON chats (created);

    CREATE TABLE left_messages (
        id INTEGER PRIMARY KEY,
        chat_id TEXT NOT NULL REFERENCES chats (id),
        stamp REAL NOT NULL,
        body TEXT NOT NULL,
        announced INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX left_messages_unannounced ON left_messages (announced, stamp);
    """,
    # 3: the archive (every message with its visibility), who is in each room for
    # restart recovery, the room subject, and the supervision audit log.
    """
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        chat_id TEXT NOT NULL,
        stanza_id TEXT NOT NULL UNIQUE,
        stamp REAL NOT NULL,
        sender_nick TEXT NOT NULL,
        sender_jid TEXT NOT NULL,
        sender_role TEXT NOT NULL,
        sender_name TEXT NOT NULL,
        sender_hidden INTEGER NOT NULL,
        staff_only INTEGER NOT NULL,
        refers_to TEXT,
        content TEXT NOT NULL
    );
    CREATE INDEX messages_chat ON messages (chat_id, stamp, id);
    CREATE INDEX messages_stamp ON messages (stamp);

    CREATE TABLE occupants (
        chat_id TEXT NOT NULL,
        session_jid TEXT NOT NULL,
        position INTEGER NOT NULL,
        nick TEXT NOT NULL,
        jid TEXT NOT NULL,
        role TEXT NOT NULL,
        name TEXT NOT NULL,
        hidden INTEGER NOT NULL,
        show TEXT,
        status TEXT,
        PRIMARY KEY (chat_id, session_jid)
    );

    ALTER TABLE chats ADD COLUMN subject TEXT NOT NULL DEFAULT '';

    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        stamp REAL NOT NULL,
        chat_id TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_stamp ON audit (stamp);
    CREATE INDEX audit_chat ON audit (chat_id, stamp);
    """,
    # 4: whether a visitor hears each archived message, decided by the policy when
    # it was said, so that a page is read per viewer straight from an index.
    # Rows archived before it are backfilled by the same rule: a visitor hears a
    # message that is neither a whisper nor said hidden, unless it corrects or
    # reacts to one they did not hear. The index on refers_to serves only that.
    """
    ALTER TABLE messages ADD COLUMN for_visitor INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX messages_refers_to ON messages (refers_to);
    UPDATE messages SET for_visitor = 1 WHERE id NOT IN (
        WITH RECURSIVE unheard (id, chat_id, stanza_id) AS (
            SELECT id, chat_id, stanza_id FROM messages
            WHERE staff_only != 0 OR sender_hidden != 0
            UNION
            SELECT m.id, m.chat_id, m.stanza_id
            FROM messages AS m JOIN unheard AS u
            ON m.refers_to = u.stanza_id AND m.chat_id = u.chat_id
        )
        SELECT id FROM unheard
    );
    DROP INDEX messages_refers_to;
    CREATE INDEX messages_visitor ON messages (chat_id, for_visitor, stamp, id);
    """,
    # 5: the visitor's rating of a closed chat, staff's canned replies (team ''
    # serves every team), and the staff directory's coaching flag.
    """
    CREATE TABLE ratings (
        chat_id TEXT PRIMARY KEY,
        stamp REAL NOT NULL,
        score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
        comment TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE canned_replies (
        team TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (team, name)
    );
    ALTER TABLE staff ADD COLUMN coached INTEGER NOT NULL DEFAULT 0;
    """,
)
