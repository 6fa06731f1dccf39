"""When a chat needs a supervisor's eye: waiting too long for an agent, no first
answer, or a visitor's message left unanswered. Thresholds come from
``[alerts]`` in huddle.toml; the floor feed highlights alerts and the desk
announces each once per chat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from roles.chat import Chat

AlertKind = Literal["waiting", "first_response", "unanswered"]


@dataclass(frozen=True, slots=True)
class Alerts:
    """Thresholds in seconds; 0 turns one off."""

    waiting_seconds: float = 120.0
    first_response_seconds: float = 60.0
    unanswered_seconds: float = 180.0


@dataclass(frozen=True, slots=True)
class Alert:
    chat_id: str
    kind: AlertKind
    since: float  # when what it is about began: the chat opened, or the visitor asked


def _past(limit: float, since: float, now: float) -> bool:
    return limit > 0 and now - since >= limit


def alerts_for(chat: Chat, visitor_present: bool, limits: Alerts, now: float) -> list[Alert]:
    """The alerts ``chat`` raises at ``now``. A waiting chat whose visitor has
    gone raises none: nobody is waiting."""
    found: list[Alert] = []
    if chat.status == "waiting":
        if visitor_present and _past(limits.waiting_seconds, chat.created, now):
            found.append(Alert(chat.id, "waiting", chat.created))
    elif chat.status == "active":
        if chat.answered is None and _past(limits.first_response_seconds, chat.created, now):
            found.append(Alert(chat.id, "first_response", chat.created))
        since = chat.unanswered_since
        if since is not None and _past(limits.unanswered_seconds, since, now):
            found.append(Alert(chat.id, "unanswered", since))
    return found
