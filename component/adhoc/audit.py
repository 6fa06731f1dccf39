"""``read-audit``, an ad-hoc command for admins (XEP-0050): the supervision audit
log — who watched which chat, hidden, revealed, whispered, took over, and when."""

from __future__ import annotations

from datetime import UTC, datetime

from component.adhoc.flow import Ask, Done, Outcome, Request
from component.adhoc.forms import Answers, Field, Table
from storage import audit

LIMIT = 200
COLUMNS = (
    ("time", "Time (UTC)"),
    ("chat", "Chat"),
    ("actor", "Who"),
    ("action", "Did"),
    ("detail", "Detail"),
)


async def read_audit(request: Request) -> Outcome:
    return Ask(
        "Supervision audit log",
        (Field("chat", "text-single", "Only this chat (id or chat-<id>), or empty for all"),),
        _show,
    )


async def _show(request: Request, answers: Answers) -> Outcome:
    chat = answers.text("chat", "Chat").split("@", 1)[0]
    if chat and not chat.startswith("chat-"):
        chat = f"chat-{chat}"
    entries = (await audit.read(request.muc.db, chat or None, limit=100_000))[-LIMIT:]
    rows = tuple(
        {
            "time": datetime.fromtimestamp(e.stamp, UTC).isoformat(timespec="seconds"),
            "chat": e.chat_id,
            "actor": e.actor,
            "action": e.action,
            "detail": e.detail,
        }
        for e in entries
    )
    note = f"{len(rows)} entries" + (f" for {chat}" if chat else "") + " (newest last)."
    return Done(note, Table(COLUMNS, rows), "Audit log")
