"""A support chat's life: waiting → active → closed, and who may enter it.

The room core (``roles.room``) knows who is in the room and who sees whom; this
knows what the chat is about: its team, its agent, whom it was offered to or
who was invited, and its times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from roles.model import Role
from roles.refusal import Refused

Status = Literal["waiting", "active", "closed"]


@dataclass(eq=False)
class Chat:
    id: str  # the room's local part, chat-<id>
    team: str
    created: float
    visitor_jid: str = ""
    visitor_name: str = ""
    visitor_email: str = ""
    visitor_page: str = ""
    visitor_agent: str = ""  # the browser's user agent
    first_message: str = ""
    status: Status = "waiting"
    assigned: str | None = None
    offered_to: str | None = None
    passed: set[str] = field(default_factory=set)
    invited: set[str] = field(default_factory=set)
    answered: float | None = None  # first staff message the visitor saw
    assigned_at: float | None = None
    closed: float | None = None
    close_reason: str = ""
    last_activity: float = 0.0
    told_place: int | None = None  # the place in line the visitor was last told
    told_at: float = 0.0
    left_messages: int = 0  # messages left while nobody was available, counted to a cap
    # The visitor's oldest message no staff member has visibly answered since.
    unanswered_since: float | None = None
    alerted: set[str] = field(default_factory=set)  # alert kinds announced on the desk

    def waiting_for(self, now: float) -> float:
        return (self.assigned_at or now) - self.created

    def may_enter(self, jid: str, role: Role) -> None:
        """Raise unless staff member ``jid`` may join this chat.

        Supervisors and admins may watch any chat. An agent may pick up a waiting
        chat, or enter one offered, assigned or that they were invited to.
        """
        if self.status == "closed":
            raise Refused("item-not-found", "This chat has ended.")
        if role in ("supervisor", "admin"):
            return
        if role == "agent" and (
            self.status == "waiting"
            or jid in (self.assigned, self.offered_to)
            or jid in self.invited
        ):
            return
        raise Refused("forbidden", "You were not invited to this chat.", "auth")

    def assign(self, jid: str, now: float) -> None:
        self.assigned = jid
        self.offered_to = None
        self.passed.clear()
        if self.status == "waiting":
            self.status = "active"
            self.assigned_at = now

    def close(self, now: float, reason: str = "") -> None:
        self.status = "closed"
        self.closed = now
        self.close_reason = reason
