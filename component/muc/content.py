"""What Huddle keeps of a groupchat message: an allowlist, never the whole stanza.

DESIGN §4 invariant 2 (build, never copy) and 5 (strip what clients claim): the
room reflects only the elements named here, rebuilt from their values, so no
client-supplied stanza-id, occupant-id, delay or muc#user payload can pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from slixmpp import Message

NS_SID = "urn:xmpp:sid:0"
NS_CHATSTATES = "http://jabber.org/protocol/chatstates"
CHAT_STATES = ("active", "composing", "paused", "inactive", "gone")


@dataclass(frozen=True, slots=True)
class Content:
    id: str | None
    body: str | None
    origin_id: str | None = None
    chat_state: str | None = None

    @property
    def is_chat_state_only(self) -> bool:
        return self.body is None


def parse_content(msg: Message) -> Content:
    xml = msg.xml
    origin = xml.find(f"{{{NS_SID}}}origin-id")
    state = next(
        (name for name in CHAT_STATES if xml.find(f"{{{NS_CHATSTATES}}}{name}") is not None), None
    )
    body = xml.find(f"{{{msg.namespace}}}body")
    return Content(
        id=msg["id"] or None,
        body=body.text or "" if body is not None else None,
        origin_id=origin.get("id") if origin is not None else None,
        chat_state=state,
    )
