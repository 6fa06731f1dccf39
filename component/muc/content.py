"""What Huddle keeps of a message: an allowlist, never the whole stanza.

DESIGN §4 invariant 2 (build, never copy) and 5 (strip what clients claim): the
room reflects only the elements named here, rebuilt from their values, so no
client-supplied stanza-id, occupant-id, delay or muc#user payload can pass.
Receipts (XEP-0184) are never carried (LEAKS #9). Reply quotes (XEP-0461 with
XEP-0428 fallback) are cut out of the body: a quote of a whisper must not reach
the visitor inside someone else's message (LEAKS #13).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from xml.etree import ElementTree as ET

from slixmpp import Message

NS_SID = "urn:xmpp:sid:0"
NS_CHATSTATES = "http://jabber.org/protocol/chatstates"
NS_CORRECT = "urn:xmpp:message-correct:0"
NS_REACTIONS = "urn:xmpp:reactions:0"
NS_MARKERS = "urn:xmpp:chat-markers:0"
NS_FALLBACK = "urn:xmpp:fallback:0"
NS_REPLY = "urn:xmpp:reply:0"
CHAT_STATES = ("active", "composing", "paused", "inactive", "gone")
MARKERS = ("displayed", "received", "acknowledged")
MAX_REACTIONS = 20


def new_stanza_id() -> str:
    """A room's XEP-0359 stanza-id: 128 random bits, unguessable, and saying
    nothing of who spoke or how many messages came before (LEAKS #27); uuid4
    cost five times as much."""
    return os.urandom(16).hex()


@dataclass(frozen=True, slots=True)
class Content:
    id: str | None
    body: str | None
    origin_id: str | None = None
    chat_state: str | None = None
    replaces: str | None = None  # XEP-0308: the corrected message's id
    reactions_to: str | None = None  # XEP-0444: the stanza-id reacted to
    reactions: tuple[str, ...] = ()
    marker: str | None = None  # XEP-0333 marker name; ``marks`` is its stanza-id
    marks: str | None = None
    markable: bool = False

    @property
    def archived(self) -> bool:
        """Gets a stanza-id and a place in history: text and reactions, not states."""
        return self.body is not None or self.reactions_to is not None

    @property
    def refers_to(self) -> str | None:
        return self.reactions_to or self.marks

    def ids(self) -> tuple[str, ...]:
        """Every id the client chose: its own, and those it points at."""
        return tuple(
            value
            for value in (self.id, self.origin_id, self.replaces, self.reactions_to, self.marks)
            if value
        )

    @property
    def empty(self) -> bool:
        return not (self.archived or self.chat_state or self.marker)


def _find(xml: ET.Element, ns: str, name: str) -> ET.Element | None:
    return xml.find(f"{{{ns}}}{name}")


def _strip_reply_fallback(xml: ET.Element, body: str) -> str:
    for fallback in xml.findall(f"{{{NS_FALLBACK}}}fallback"):
        if fallback.get("for") != NS_REPLY:
            continue
        span = fallback.find(f"{{{NS_FALLBACK}}}body")
        if span is None:
            continue
        try:
            start, end = int(span.get("start", "0")), int(span.get("end", "0"))
        except ValueError:
            continue
        if 0 <= start <= end <= len(body):
            body = body[:start] + body[end:]
    return body


def parse_content(msg: Message) -> Content:
    xml = msg.xml
    origin = _find(xml, NS_SID, "origin-id")
    state = next((n for n in CHAT_STATES if _find(xml, NS_CHATSTATES, n) is not None), None)
    body_el = _find(xml, msg.namespace, "body")
    body = _strip_reply_fallback(xml, body_el.text or "") if body_el is not None else None
    replace = _find(xml, NS_CORRECT, "replace")
    reactions = _find(xml, NS_REACTIONS, "reactions")
    marker = next((n for n in MARKERS if _find(xml, NS_MARKERS, n) is not None), None)
    return Content(
        id=msg["id"] or None,
        body=body,
        origin_id=origin.get("id") if origin is not None else None,
        chat_state=state,
        replaces=replace.get("id") if replace is not None and body is not None else None,
        reactions_to=reactions.get("id") if reactions is not None else None,
        reactions=tuple(
            (r.text or "")[:16] for r in reactions.findall(f"{{{NS_REACTIONS}}}reaction")
        )[:MAX_REACTIONS]
        if reactions is not None
        else (),
        marker=marker,
        marks=_find(xml, NS_MARKERS, marker).get("id") if marker else None,  # type: ignore[union-attr]
        markable=_find(xml, NS_MARKERS, "markable") is not None,
    )


def write_content(xml: ET.Element, namespace: str, content: Content, body: str | None) -> None:
    """Append the allowlisted elements of ``content`` to an outgoing message."""
    if body is not None:
        ET.SubElement(xml, f"{{{namespace}}}body").text = body
    if content.chat_state:
        ET.SubElement(xml, f"{{{NS_CHATSTATES}}}{content.chat_state}")
    if content.replaces:
        ET.SubElement(xml, f"{{{NS_CORRECT}}}replace", id=content.replaces)
    if content.reactions_to:
        reactions = ET.SubElement(xml, f"{{{NS_REACTIONS}}}reactions", id=content.reactions_to)
        for emoji in content.reactions:
            ET.SubElement(reactions, f"{{{NS_REACTIONS}}}reaction").text = emoji
    if content.marker and content.marks:
        ET.SubElement(xml, f"{{{NS_MARKERS}}}{content.marker}", id=content.marks)
    if content.markable:
        ET.SubElement(xml, f"{{{NS_MARKERS}}}markable")
    if content.origin_id:
        ET.SubElement(xml, f"{{{NS_SID}}}origin-id", id=content.origin_id)


_FIELDS = tuple(f.name for f in fields(Content))
# One encoder for every row: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def content_to_json(content: Content) -> str:
    """One archived row's content. Fields at their defaults are left out: most
    messages have only an id and a body, and reading fills the defaults back in.
    """
    # Not dataclasses.asdict: it deep-copies, and this runs once per message.
    data = {}
    for name in _FIELDS:
        value = getattr(content, name)
        if value is not None and value is not False and value != ():
            data[name] = value
    return _ENCODER.encode(data)


def content_from_json(text: str) -> Content:
    data = json.loads(text)
    data["reactions"] = tuple(data.get("reactions", ()))
    return Content(data.pop("id", None), data.pop("body", None), **data)
