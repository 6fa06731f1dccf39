"""What Huddle keeps of a message: an allowlist, never the whole stanza.

DESIGN §4 invariant 2 (build, never copy) and 5 (strip what clients claim): the
room reflects only the elements named here, rebuilt from their values, so no
client-supplied stanza-id, occupant-id, delay or muc#user payload can pass.
Receipts (XEP-0184) are never carried (LEAKS #9). Reply quotes (XEP-0461 with
XEP-0428 fallback) are cut out of the body: a quote of a whisper must not reach
the visitor inside someone else's message (LEAKS #13).

A shared file (XEP-0363 upload, or any link) comes as XEP-0066 out-of-band data,
``<x xmlns='jabber:x:oob'><url>…</url></x>``, with the URL as the body too
(Conversations, Gajim, Dino and Converse.js all send it so): the URL is kept and
written back, so every client shows the file inline, and it goes wherever the
body goes, whispers and all (LEAKS #28). Only http and https URLs of a bounded
length pass; anything else is refused before the message is stored.

The element is carried only for a file on the sender's own upload service (the
one clients upload to: ``upload.<their domain>``). Staff clients fetch what comes
out of band by themselves (Gajim previews it, Conversations downloads it): a
visitor's link elsewhere would have every staff client, a hidden one's too,
call at the visitor's server. Such a link still arrives, as text.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, fields
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from slixmpp import Message

from component.addressing import upload_service
from roles.refusal import Refused

NS_SID = "urn:xmpp:sid:0"
NS_CHATSTATES = "http://jabber.org/protocol/chatstates"
NS_CORRECT = "urn:xmpp:message-correct:0"
NS_REACTIONS = "urn:xmpp:reactions:0"
NS_MARKERS = "urn:xmpp:chat-markers:0"
NS_FALLBACK = "urn:xmpp:fallback:0"
NS_REPLY = "urn:xmpp:reply:0"
NS_OOB = "jabber:x:oob"
CHAT_STATES = ("active", "composing", "paused", "inactive", "gone")
MARKERS = ("displayed", "received", "acknowledged")
MAX_REACTIONS = 20
# A shared file's URL: an upload service's are about 100 characters.
MAX_URL_CHARS = 2000
URL_SCHEMES = ("http", "https")
_NOT_IN_URLS = re.compile(r"[\s\x00-\x1f\x7f]")


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
    oob_url: str | None = None  # XEP-0066: a shared file's URL

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


def _oob_url(xml: ET.Element) -> str | None:
    """The URL of the message's XEP-0066 data, checked; None without any.
    Raises ``Refused`` for a URL that is no http or https one, or too long."""
    oob = _find(xml, NS_OOB, "x")
    if oob is None:
        return None
    url = (oob.findtext(f"{{{NS_OOB}}}url") or "").strip()
    if len(url) > MAX_URL_CHARS:
        raise Refused(
            "policy-violation",
            f"Links to shared files are limited to {MAX_URL_CHARS} characters.",
            "modify",
        )
    parts = urlsplit(url)
    if parts.scheme.lower() not in URL_SCHEMES or not parts.netloc or _NOT_IN_URLS.search(url):
        raise Refused("not-acceptable", "Only http and https links can be shared.", "modify")
    return url


def parse_content(msg: Message) -> Content:
    """The allowlisted content of ``msg``; raises ``Refused`` for a bad file link."""
    xml = msg.xml
    origin = _find(xml, NS_SID, "origin-id")
    state = next((n for n in CHAT_STATES if _find(xml, NS_CHATSTATES, n) is not None), None)
    body_el = _find(xml, msg.namespace, "body")
    body = _strip_reply_fallback(xml, body_el.text or "") if body_el is not None else None
    oob_url = _oob_url(xml)
    if oob_url is not None:
        if body is None:
            # A file shared without a body is shown as its link by clients that
            # know no XEP-0066, and is a message like any other: archived, and
            # revealing a hidden sender.
            body = oob_url
        if urlsplit(oob_url).hostname != upload_service(msg["from"].domain):
            oob_url = None
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
        oob_url=oob_url,
    )


def write_content(xml: ET.Element, namespace: str, content: Content, body: str | None) -> None:
    """Append the allowlisted elements of ``content`` to an outgoing message."""
    if body is not None:
        ET.SubElement(xml, f"{{{namespace}}}body").text = body
    if content.oob_url:
        oob = ET.SubElement(xml, f"{{{NS_OOB}}}x")
        ET.SubElement(oob, f"{{{NS_OOB}}}url").text = content.oob_url
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
