"""XEP-0421 occupant ids: stable per person and room, meaningless to anyone else.

An HMAC of the room and the bare JID under a key kept in the database, so the id
survives restarts but encodes nothing a visitor could link to a person (LEAKS #16, #27).
"""

from __future__ import annotations

import base64
import hashlib
import hmac


class OccupantIds:
    def __init__(self, key: bytes) -> None:
        self._key = key
        self._cache: dict[tuple[str, str], str] = {}

    def of(self, bare_jid: str, room_jid: str) -> str:
        cached = self._cache.get((bare_jid, room_jid))
        if cached is None:
            digest = hmac.new(self._key, f"{room_jid}\0{bare_jid}".encode(), hashlib.sha256)
            cached = base64.urlsafe_b64encode(digest.digest()[:18]).decode()
            self._cache[(bare_jid, room_jid)] = cached
        return cached

    def forget_room(self, room_jid: str) -> None:
        for key in [k for k in self._cache if k[1] == room_jid]:
            del self._cache[key]
