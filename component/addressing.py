"""What a stanza is addressed to: the service, a chat room, or an occupant."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from slixmpp import JID

from roles.refusal import Refused

ROOM_PREFIX = "chat-"
DESK = "desk"  # the staff desk's room: desk@<service>
# At least 16 characters: the id is the visitor's capability to reach their chat,
# so it must not be guessable (the widget makes ≥128 random bits).
_CHAT_ID = re.compile(r"^[a-z0-9-]{16,128}$")


@dataclass(frozen=True, slots=True)
class Target:
    kind: Literal["service", "room", "occupant", "other"]
    room: str = ""  # the room's local part, "chat-<id>"
    nick: str = ""


def upload_service(host: str) -> str:
    """The XEP-0363 upload service of ``host``'s accounts, as Huddle's Prosody
    configs name it: a subdomain, so the host's disco#items lists it."""
    return f"upload.{host}"


def target_of(jid: JID, service: str) -> Target:
    if jid.domain != service:
        return Target("other")
    if not jid.local:
        return Target("service") if not jid.resource else Target("other")
    if jid.resource:
        return Target("occupant", jid.local, jid.resource)
    return Target("room", jid.local)


def check_room_name(local: str) -> None:
    """Refuse room names Huddle would never create (XEP-0045 §10.1.1: not-allowed)."""
    if not local.startswith(ROOM_PREFIX) or not _CHAT_ID.match(local[len(ROOM_PREFIX) :]):
        raise Refused(
            "not-allowed",
            "Chat rooms are named chat-<id>, the id at least 16 characters of a-z, 0-9 and '-'.",
        )
