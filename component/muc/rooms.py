"""The live chat rooms of the service, each with its lock for ordering.

DESIGN §4 invariant 4: events of one room apply in arrival order. slixmpp starts
coroutine handlers in arrival order, and each takes its room's lock before its
first await, so the lock's FIFO queue is the per-room order. Rooms never wait
for each other.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from component.muc.views import Views
from roles.chat import Chat
from roles.coaching import Coaching
from roles.limits import Buckets
from roles.room import RoomState


@dataclass(eq=False)
class Room:
    local: str
    state: RoomState
    views: Views
    chat: Chat | None = None  # None for the desk
    saved_subject: str = ""  # the subject as last written to the database
    created: float = field(default_factory=time.time)
    opener: str = ""  # the visitor who created the room, until it closes
    archived: int | None = None  # messages in its archive; None until counted
    # Restored rooms read their history from the archive when first used: a
    # restart with thousands of open chats need not load every one of them.
    history_pending: bool = False
    buckets: Buckets = field(default_factory=Buckets)  # rate limits per occupant
    coaching: Coaching = field(default_factory=Coaching)


class Rooms:
    def __init__(self) -> None:
        self.rooms: dict[str, Room] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}

    def get(self, local: str) -> Room | None:
        return self.rooms.get(local)

    def add(self, room: Room) -> None:
        self.rooms[room.local] = room

    def discard(self, local: str) -> None:
        self.rooms.pop(local, None)

    def __len__(self) -> int:
        return len(self.rooms)

    def locked(self, local: str) -> _RoomLock:
        return _RoomLock(self, local)


class _RoomLock:
    """The room's lock, dropped from the table once nobody holds or awaits it."""

    def __init__(self, rooms: Rooms, local: str) -> None:
        self.rooms = rooms
        self.local = local

    async def __aenter__(self) -> None:
        rooms = self.rooms
        lock = rooms._locks.setdefault(self.local, asyncio.Lock())
        rooms._waiting[self.local] = rooms._waiting.get(self.local, 0) + 1
        await lock.acquire()

    async def __aexit__(self, *exc: object) -> None:
        rooms = self.rooms
        rooms._locks[self.local].release()
        rooms._waiting[self.local] -= 1
        if not rooms._waiting[self.local]:
            del rooms._waiting[self.local], rooms._locks[self.local]
