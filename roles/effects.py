"""What the room core asks the XMPP edge to deliver, one recipient session each.

Every effect names its ``viewer``: the edge builds each stanza for that viewer
alone (real JIDs and hats for staff, nothing extra for visitors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from roles.model import Occupant, Session


@dataclass(frozen=True, slots=True)
class Said:
    """A message said in the room; ``payload`` is the edge's parsed content."""

    sender: Occupant
    staff_only: bool
    stamp: float
    stanza_id: str
    payload: Any = field(compare=False)
    # The message this one corrects (XEP-0308) or reacts to (XEP-0444): only
    # those who received that one receive this.
    refers_to: Said | None = field(default=None, compare=False)
    # A coached agent's draft awaiting approval, numbered in its chat (roles.coaching);
    # always staff_only.
    draft: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class PresenceOut:
    to: str
    viewer: Occupant
    occupant: Occupant
    session: Session | None  # None: unavailable
    codes: frozenset[int] = frozenset()
    new_nick: str | None = None  # status 303
    id: str | None = None  # the join presence's id, on the joining session's self-presence
    status: str | None = None  # the leaver's status text, on unavailable presence
    destroyed: bool = False  # the room is gone; ``status`` holds the reason
    entering: bool = False  # the joining session's own presence, ending its join


@dataclass(frozen=True, slots=True)
class MessageOut:
    to: str
    viewer: Occupant
    said: Said


@dataclass(frozen=True, slots=True)
class HistoryOut:
    """Room history the viewer may see, oldest first; the edge applies the limits."""

    to: str
    viewer: Occupant
    entries: tuple[Said, ...]


@dataclass(frozen=True, slots=True)
class SubjectOut:
    to: str
    viewer: Occupant
    subject: str


@dataclass(frozen=True, slots=True)
class NoticeOut:
    """A message from the room itself: welcome, staff notices, command replies."""

    to: str
    viewer: Occupant
    text: str


@dataclass(frozen=True, slots=True)
class PrivateOut:
    """A private message between occupants (XEP-0045 §7.5)."""

    to: str
    viewer: Occupant
    sender: Occupant
    payload: Any


Effect = PresenceOut | MessageOut | HistoryOut | SubjectOut | NoticeOut | PrivateOut
