"""The people in a chat room, as the policy sees them.

Occupants are immutable: a change (hide, reveal, nick change) replaces the
occupant, so a snapshot taken for a message or a history entry never changes
under the policy's feet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["visitor", "agent", "supervisor", "admin"]
StaffRole = Literal["agent", "supervisor", "admin"]
STAFF_ROLES: frozenset[str] = frozenset(("agent", "supervisor", "admin"))
Show = Literal["away", "chat", "dnd", "xa"]

# Visitors' nicks live in their own namespace so that a visitor can never pick a
# staff member's nick and learn from a 409 that they are in the room (LEAKS #18).
VISITOR_SUFFIX = " (visitor)"


@dataclass(frozen=True, slots=True)
class Occupant:
    """One person in a room: all their sessions share this nick."""

    nick: str
    jid: str  # bare JID; staff are identified by it alone
    role: Role
    name: str  # display name ("John"); for a visitor, what they asked to be called
    hidden: bool = False

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


@dataclass(frozen=True, slots=True)
class Session:
    """One connected resource of an occupant, with the presence it last sent."""

    jid: str  # full JID
    show: Show | None = None
    status: str | None = None
