"""Who may do what: the one table every command and ad-hoc command is checked against.

Roles come only from the staff directory; visitors and strangers may do nothing
here. Supervisors may do all an agent may, admins all a supervisor may.
"""

from __future__ import annotations

from typing import Literal

Action = Literal[
    "whisper",
    "say",
    "reveal",
    "hide",
    "help",
    "info",
    "invite",
    "transfer",
    "close",
    "take",
    "list-chats",
    "supervise",
    "stats",
    "canned-reply",
    "manage-staff",
    "manage-canned",
    "read-audit",
    "coach",
]
Who = Literal["visitor", "agent", "supervisor", "admin", "stranger"]

_AGENT: frozenset[str] = frozenset(
    {
        "whisper",
        "say",
        "reveal",
        "hide",
        "help",
        "info",
        "invite",
        "transfer",
        "close",
        "list-chats",
        "stats",
        "canned-reply",
    }
)
_SUPERVISOR: frozenset[str] = _AGENT | {"take", "supervise", "coach"}
_ADMIN: frozenset[str] = _SUPERVISOR | {"manage-staff", "manage-canned", "read-audit"}
_ALLOWED: dict[str, frozenset[str]] = {
    "agent": _AGENT,
    "supervisor": _SUPERVISOR,
    "admin": _ADMIN,
}


def may(who: str, action: Action) -> bool:
    return action in _ALLOWED.get(who, frozenset())
