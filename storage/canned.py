"""Canned replies: answers saved per team (team "" serves every team), said in
a chat with ``!r <name>``; admins keep them (ad-hoc commands, ``huddle canned``).
"""

from __future__ import annotations

import builtins
import re
import sqlite3
from dataclasses import dataclass, replace

from storage.database import Database

MAX_TEXT_CHARS = 4000
_TEAM = re.compile(r"[a-z0-9-]{1,32}")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


class CannedError(ValueError):
    """A reply is invalid or conflicts with another; the message names the field."""


@dataclass(frozen=True, slots=True)
class CannedReply:
    team: str  # "" for every team
    name: str
    text: str


def validate(reply: CannedReply) -> CannedReply:
    """``reply`` with its name lowercased and text trimmed, or raise CannedError."""
    team = reply.team.strip()
    if team and not _TEAM.fullmatch(team):
        raise CannedError(
            f"team: expected 1-32 characters from a-z, 0-9 and '-', or none for every team, "
            f"got {reply.team!r}"
        )
    name = reply.name.strip().lower()
    if not _NAME.fullmatch(name):
        raise CannedError(
            f"name: expected 1-32 characters from a-z, 0-9, '-' and '_', got {reply.name!r}"
        )
    text = reply.text.strip()
    if not text:
        raise CannedError("text: must not be empty")
    if len(text) > MAX_TEXT_CHARS:
        raise CannedError(f"text: at most {MAX_TEXT_CHARS} characters, got {len(text)}")
    return replace(reply, team=team, name=name, text=text)


class CannedReplies:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, reply: CannedReply) -> CannedReply:
        reply = validate(reply)

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO canned_replies (team, name, body) VALUES (?, ?, ?)",
                (reply.team, reply.name, reply.text),
            )

        try:
            await self.db.run_transaction(insert)
        except sqlite3.IntegrityError:
            raise CannedError(f"name: {_label(reply)} already exists") from None
        return reply

    async def update(self, reply: CannedReply) -> CannedReply:
        reply = validate(reply)
        changed = await self.db.run_transaction(
            lambda conn: (
                conn.execute(
                    "UPDATE canned_replies SET body = ? WHERE team = ? AND name = ?",
                    (reply.text, reply.team, reply.name),
                ).rowcount
            )
        )
        if not changed:
            raise CannedError(f"name: there is no {_label(reply)}")
        return reply

    async def remove(self, team: str, name: str) -> bool:
        removed = await self.db.run_transaction(
            lambda conn: (
                conn.execute(
                    "DELETE FROM canned_replies WHERE team = ? AND name = ?",
                    (team.strip(), name.strip().lower()),
                ).rowcount
            )
        )
        return bool(removed)

    async def get(self, team: str, name: str) -> CannedReply | None:
        found = await self.db.fetch_one(
            "SELECT team, name, body FROM canned_replies WHERE team = ? AND name = ?",
            (team.strip(), name.strip().lower()),
        )
        return CannedReply(*found) if found is not None else None

    async def list(self, team: str | None = None) -> builtins.list[CannedReply]:
        """Every reply by team and name; with ``team``, that team's and every team's."""
        if team is None:
            rows = await self.db.fetch_all(
                "SELECT team, name, body FROM canned_replies ORDER BY team, name"
            )
        else:
            rows = await self.db.fetch_all(
                "SELECT team, name, body FROM canned_replies WHERE team IN (?, '') "
                "ORDER BY team, name",
                (team,),
            )
        return [CannedReply(*row) for row in rows]


def team_label(team: str) -> str:
    return f"team {team}" if team else "every team"


def _label(reply: CannedReply) -> str:
    return f"{reply.name!r} for {team_label(reply.team)}"
