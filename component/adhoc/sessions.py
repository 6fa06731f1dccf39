"""Running ad-hoc command sessions (XEP-0050 §3.3), each bound to the full JID
that started it.

A sessionid is a capability: random, and good only for its owner and its node,
so neither another client nor another command can go on with it. Sessions
expire, and each requester keeps only a few, so abandoned forms cannot pile up.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from component.adhoc.flow import Stage

TTL = 600.0  # seconds a form may stay unanswered
PER_OWNER = 8


@dataclass
class Session:
    owner: str
    node: str
    then: Stage
    expires: float


class Sessions:
    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._open: dict[str, Session] = {}

    def open(self, owner: str, node: str, then: Stage) -> str:
        now = time.monotonic()
        self._prune(now)
        mine = [sid for sid, s in self._open.items() if s.owner == owner]
        for sid in mine[: max(0, len(mine) - PER_OWNER + 1)]:  # oldest first
            del self._open[sid]
        sid = secrets.token_urlsafe(12)
        self._open[sid] = Session(owner, node, then, now + self.ttl)
        return sid

    def get(self, sid: str, owner: str, node: str) -> Session | None:
        session = self._open.get(sid)
        if session is None or session.expires < time.monotonic():
            self._open.pop(sid, None)
            return None
        if session.owner != owner or session.node != node:
            return None
        return session

    def advance(self, sid: str, then: Stage) -> None:
        session = self._open[sid]
        session.then = then
        session.expires = time.monotonic() + self.ttl

    def close(self, sid: str) -> None:
        self._open.pop(sid, None)

    def __len__(self) -> int:
        return len(self._open)

    def _prune(self, now: float) -> None:
        for sid in [sid for sid, s in self._open.items() if s.expires < now]:
            del self._open[sid]
