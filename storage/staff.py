"""The staff directory: who is an agent, supervisor or admin, in which team, under what name.

Staff are identified by bare JID alone, stored lowercased so that a client
cannot dodge (or borrow) a role by changing the case of its address.
"""

from __future__ import annotations

import builtins
import re
import sqlite3
from dataclasses import dataclass, replace
from typing import Literal, cast

from storage.database import Database

Role = Literal["agent", "supervisor", "admin"]
ROLES: tuple[Role, ...] = ("agent", "supervisor", "admin")
# Visitors get nicks ending in this suffix; a staff name ending in it could pass for one.
VISITOR_SUFFIX = " (visitor)"
MAX_NAME_CHARS = 64
MAX_CHATS_RANGE = (1, 100)

_TEAM = re.compile(r"[a-z0-9-]{1,32}")
# RFC 7622 forbids these in a localpart; whitespace and controls are refused as well.
_LOCALPART = re.compile(r"[^\s\"&'/:<>@\x00-\x1f\x7f]{1,1023}")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class StaffError(ValueError):
    """A staff entry is invalid or conflicts with another; the message names the field."""


@dataclass(frozen=True, slots=True)
class StaffMember:
    jid: str
    role: Role
    team: str
    name: str
    max_chats: int = 3
    coached: bool = False  # every chat of theirs is coached (their answers await approval)


def normalize_jid(jid: str) -> str:
    return jid.strip().lower()


def validate(member: StaffMember) -> StaffMember:
    """Return ``member`` with its JID lowercased and name trimmed, or raise StaffError."""
    jid = normalize_jid(member.jid)
    local, at, domain = jid.partition("@")
    if not at or "/" in jid or not _LOCALPART.fullmatch(local) or not _DOMAIN.fullmatch(domain):
        raise StaffError(f"jid: expected a bare JID like 'name@example.org', got {member.jid!r}")
    if member.role not in ROLES:
        raise StaffError(f"role: expected one of {', '.join(ROLES)}, got {member.role!r}")
    if not isinstance(member.team, str) or not _TEAM.fullmatch(member.team):
        raise StaffError(
            f"team: expected 1-32 characters from a-z, 0-9 and '-', got {member.team!r}"
        )
    name = member.name.strip() if isinstance(member.name, str) else ""
    if not name:
        raise StaffError(f"name: must not be empty, got {member.name!r}")
    if len(name) > MAX_NAME_CHARS:
        raise StaffError(f"name: at most {MAX_NAME_CHARS} characters, got {member.name!r}")
    if _CONTROL.search(name):
        raise StaffError(f"name: must not contain control characters, got {member.name!r}")
    if name.casefold().endswith(VISITOR_SUFFIX.casefold()):
        raise StaffError(f"name: must not end with {VISITOR_SUFFIX!r}, got {member.name!r}")
    low, high = MAX_CHATS_RANGE
    chats = member.max_chats
    if not isinstance(chats, int) or isinstance(chats, bool) or not low <= chats <= high:
        raise StaffError(f"max_chats: must be between {low} and {high}, got {chats!r}")
    return replace(member, jid=jid, name=name)


def _member(row: sqlite3.Row | tuple[object, ...]) -> StaffMember:
    jid, role, team, name, max_chats, coached = row
    return StaffMember(
        jid=str(jid),
        role=cast(Role, role),
        team=str(team),
        name=str(name),
        max_chats=int(cast(int, max_chats)),
        coached=bool(coached),
    )


_COLUMNS = "jid, role, team, name, max_chats, coached"


class StaffDirectory:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, jid: str) -> StaffMember | None:
        """The staff member with this bare JID (any case), or None; full JIDs never match."""
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM staff WHERE jid = ?", (normalize_jid(jid),)
        )
        return None if row is None else _member(row)

    async def add(self, member: StaffMember) -> None:
        member = validate(member)
        async with self._db.transaction() as conn:
            if await self._exists(member.jid):
                raise StaffError(f"jid: {member.jid!r} is already on the staff")
            await self._check_name_free(member)
            await conn.execute(
                f"INSERT INTO staff ({_COLUMNS}, name_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    member.jid,
                    member.role,
                    member.team,
                    member.name,
                    member.max_chats,
                    int(member.coached),
                    member.name.casefold(),
                ),
            )

    async def update(self, member: StaffMember) -> None:
        """Replace the entry for ``member.jid``; raises StaffError if there is none."""
        member = validate(member)
        async with self._db.transaction() as conn:
            if not await self._exists(member.jid):
                raise StaffError(f"jid: {member.jid!r} is not on the staff")
            await self._check_name_free(member)
            await conn.execute(
                "UPDATE staff SET role = ?, team = ?, name = ?, max_chats = ?, coached = ?,"
                " name_key = ? WHERE jid = ?",
                (
                    member.role,
                    member.team,
                    member.name,
                    member.max_chats,
                    int(member.coached),
                    member.name.casefold(),
                    member.jid,
                ),
            )

    async def remove(self, jid: str) -> bool:
        """Remove the entry; False if there was none."""
        async with self._db.transaction() as conn:
            cur = await conn.execute("DELETE FROM staff WHERE jid = ?", (normalize_jid(jid),))
            removed = cur.rowcount > 0
            await cur.close()
        return removed

    async def list(self) -> builtins.list[StaffMember]:
        """Everyone, sorted by JID."""
        rows = await self._db.fetch_all(f"SELECT {_COLUMNS} FROM staff ORDER BY jid")
        return [_member(row) for row in rows]

    async def _exists(self, jid: str) -> bool:
        async with self._db.conn.execute("SELECT 1 FROM staff WHERE jid = ?", (jid,)) as cur:
            return await cur.fetchone() is not None

    async def _check_name_free(self, member: StaffMember) -> None:
        async with self._db.conn.execute(
            "SELECT jid FROM staff WHERE name_key = ? AND jid != ?",
            (member.name.casefold(), member.jid),
        ) as cur:
            row = await cur.fetchone()
        if row is not None:
            raise StaffError(f"name: {member.name!r} is already used by {row[0]}")
