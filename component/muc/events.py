"""Chat events: what happened in the rooms and at the desk, for whoever listens.

The rooms (this package) and the desk (``component.desk``) emit an event once
what it tells of is committed and delivered; the desk, the floor feed and any
other subscriber react to it. Emitters know nothing of their subscribers, so
the modules that decide (rooms, desk) never import the ones that watch
(dashboard, reports), and the rooms never import the desk.

Subscribers run synchronously, in the order they subscribed, inside the
emitter's call: they must not block; one that needs I/O starts a task. A
subscriber that raises is logged and skipped: it cannot break the room that
emitted.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from component.muc.person import Person
from component.muc.rooms import Room
from component.muc.visitor_details import VisitorDetails
from roles.chat import Chat

log = logging.getLogger(__name__)


# -- in a chat ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatCreated:
    """A visitor opened a new chat and is in it."""

    room: Room
    chat: Chat


@dataclass(frozen=True, slots=True)
class VisitorReturned:
    room: Room
    details: VisitorDetails | None


@dataclass(frozen=True, slots=True)
class VisitorLeft:
    """The visitor's last session left; the chat waits for them a grace period."""

    room: Room


@dataclass(frozen=True, slots=True)
class VisitorDetailsGiven:
    room: Room
    details: VisitorDetails


@dataclass(frozen=True, slots=True)
class StaffJoined:
    """A staff member's first session entered a chat, visible or ``hidden``;
    ``was_assigned`` is the agent before they came (an agent may claim by joining)."""

    room: Room
    staff: Person
    hidden: bool
    was_assigned: str | None


@dataclass(frozen=True, slots=True)
class StaffLeft:
    room: Room
    jid: str


@dataclass(frozen=True, slots=True)
class MessageSaid:
    """A message with a body was said in a chat. ``sender`` is None for the
    visitor; ``visible`` whether the visitor heard it (not a whisper, not hidden)."""

    room: Room
    sender: Person | None
    visible: bool
    body: str
    at: float


@dataclass(frozen=True, slots=True)
class Supervised:
    """An act of supervision by a command in a chat: ``action`` is one of
    ``whisper``, ``say``, ``reveal``, ``hide``, ``revealed`` (by speaking)."""

    room: Room
    staff: Person
    action: str


# -- at the desk -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeskJoined:
    """A staff member's session sat down at the desk."""

    staff: Person
    session_jid: str


@dataclass(frozen=True, slots=True)
class DeskChanged:
    """Someone's availability on the desk changed (presence, a session left);
    ``gone`` names a staff member whose last desk session left."""

    gone: str | None = None


@dataclass(frozen=True, slots=True)
class StaffDirectoryChanged:
    """A staff member was added, edited or removed (``removed``) in the directory;
    ``coached`` whether the directory now coaches all their chats."""

    jid: str
    removed: bool = False
    coached: bool = False


@dataclass(frozen=True, slots=True)
class ChatOffered:
    room: Room
    chat: Chat
    agent: str


@dataclass(frozen=True, slots=True)
class ChatAssigned:
    """``agent`` now has the chat; ``how`` is ``joined``, ``answered``, ``take``
    or ``transfer``."""

    room: Room
    chat: Chat
    agent: str
    how: str


@dataclass(frozen=True, slots=True)
class ChatAnswered:
    """The first visible staff answer in a chat."""

    room: Room
    chat: Chat


@dataclass(frozen=True, slots=True)
class ChatClosed:
    room: Room
    chat: Chat
    reason: str
    by: str


@dataclass(frozen=True, slots=True)
class ChatRated:
    """The visitor rated her closed chat (its room is gone): ``score`` 1 to 5,
    ``comment`` as she wrote it ("" for none)."""

    chat: Chat
    score: int
    comment: str


@dataclass(frozen=True, slots=True)
class QueueMoved:
    """Places in line changed (a chat joined, left or reached the head of the line)."""


E = TypeVar("E")


class Events:
    def __init__(self) -> None:
        self._by_kind: dict[type, list[Callable[[Any], None]]] = defaultdict(list)
        self._every: list[Callable[[object], None]] = []

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> None:
        self._by_kind[kind].append(handler)

    def subscribe_all(self, handler: Callable[[object], None]) -> None:
        """``handler`` hears every event, after the subscribers of its kind."""
        self._every.append(handler)

    def emit(self, event: object) -> None:
        for handler in (*self._by_kind.get(type(event), ()), *self._every):
            try:
                handler(event)
            except Exception:
                log.exception("a subscriber failed on %s", type(event).__name__)
