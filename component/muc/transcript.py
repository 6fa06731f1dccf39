"""A chat's transcript, read from the archive and filtered by the same policy as
live traffic: the visitor's view is exactly what she saw (no whispers, nothing
said while hidden, no addresses); the staff view is everything, whispers marked.

``huddle transcript`` prints it, ``huddle transcripts export`` writes it as
JSON lines, and a visitor may have her view emailed (``urn:huddle:transcript:0``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from component.muc.recorder import said_from_rows
from roles.archive import readable
from roles.effects import Said
from roles.model import Occupant
from storage.archive import Archive
from storage.chats import ChatRow, ChatStore
from storage.database import Database

View = Literal["visitor", "staff"]
VISITOR_VIEW = Occupant("", "", "visitor", "")


def iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")


def _entries(said: list[Said], view: View) -> list[dict[str, Any]]:
    shown = said if view == "staff" else readable(said, VISITOR_VIEW)
    out = []
    for s in shown:
        content = s.payload
        if content.body is None:
            continue
        out.append(
            {
                "time": iso(s.stamp),
                "nick": s.sender.nick,
                **({"jid": s.sender.jid, "role": s.sender.role} if view == "staff" else {}),
                "whisper": s.staff_only if view == "staff" else False,
                "correction_of": content.replaces,
                "body": content.body,
            }
        )
    return out


def transcript_json(row: ChatRow, said: list[Said], view: View) -> dict[str, Any]:
    head: dict[str, Any] = {"chat": row.id, "team": row.team, "status": row.status}
    head.update(created=iso(row.created), closed=iso(row.closed), visitor=row.visitor_name)
    if view == "staff":
        head.update(
            visitor_jid=row.visitor_jid,
            visitor_email=row.visitor_email,
            agent=row.assigned,
            close_reason=row.close_reason,
        )
    return {**head, "view": view, "messages": _entries(said, view)}


def transcript_text(data: dict[str, Any]) -> str:
    lines = [
        f"Chat {data['chat']} (team {data['team']}, {data['status']}) "
        f"opened {data['created']}" + (f", closed {data['closed']}" if data["closed"] else ""),
        f"Visitor: {data['visitor'] or '-'}",
        "",
    ]
    for m in data["messages"]:
        mark = " (whisper)" if m["whisper"] else ""
        fix = " (correction)" if m["correction_of"] else ""
        lines.append(f"[{m['time']}] {m['nick']}{mark}{fix}: {m['body']}")
    return "\n".join(lines)


async def said_in(db: Database, chat_id: str) -> list[Said]:
    """Everything said in the chat, oldest first, as the archive holds it."""
    return said_from_rows(await Archive(db).chat(chat_id))


async def load(db: Database, chat_id: str) -> tuple[ChatRow, list[Said]] | None:
    """The chat ``chat_id`` (its room's local part) and everything said in it."""
    row = await ChatStore(db).get(chat_id)
    if row is None:
        return None
    return row, await said_in(db, row.id)
