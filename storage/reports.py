"""What ``huddle report`` reads: chats and audit entries of a time window, staff names.

Each is one query in one hop to SQLite's thread (``Database.fetch_all``); the
``chats_created`` and ``audit_stamp`` indexes serve the windows.
"""

from __future__ import annotations

from roles.reports import ChatFacts
from storage.audit import AuditEntry
from storage.database import Database


async def chat_facts(db: Database, since: float, until: float) -> list[ChatFacts]:
    """Chats created in [since, until), oldest first, with their ratings."""
    rows = await db.fetch_all(
        "SELECT id, team, created, assigned, assigned_at, answered, closed, close_reason, "
        "score FROM chats LEFT JOIN ratings ON ratings.chat_id = chats.id "
        "WHERE created >= ? AND created < ? ORDER BY created, id",
        (since, until),
    )
    return [ChatFacts(*row) for row in rows]


async def audit_entries(db: Database, since: float, until: float) -> list[AuditEntry]:
    """Every audit entry stamped in [since, until), in the order they were written.

    Unlike ``audit.read`` there is no limit: a report counts them all.
    """
    rows = await db.fetch_all(
        "SELECT stamp, chat_id, actor, action, detail FROM audit "
        "WHERE stamp >= ? AND stamp < ? ORDER BY stamp, id",
        (since, until),
    )
    return [AuditEntry(*row) for row in rows]


async def staff_names(db: Database) -> dict[str, str]:
    """Display names by bare JID, to label agents; someone since removed from the
    directory has none, and is shown by JID."""
    return {jid: name for jid, name in await db.fetch_all("SELECT jid, name FROM staff")}
