"""The fan-out's strings against slixmpp's stanzas: the same XML, effect by effect.

``Door.deliver`` writes messages, history and occupant presence as strings
(``component.muc.wire``); ``Views`` builds the same stanzas with slixmpp's
objects. Both are serialised as the stream would and compared in canonical form
(C14N 2.0: attribute order, quoting and empty-element forms aside, identical).
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slixmpp import ComponentXMPP
from slixmpp.xmlstream import tostring

from component.muc import wire
from component.muc.content import Content
from component.muc.door import Door
from component.muc.occupant_id import OccupantIds
from component.muc.views import Views
from roles.effects import Effect, HistoryOut, MessageOut, PresenceOut, Said
from roles.model import Occupant, Session

ROOM = "chat-0123456789abcdef@support.test"
VISITOR = Occupant("Ann (visitor)", "v1@guest.test", "visitor", "Ann")
AGENT = Occupant("Jennie", "jennie@staff.test", "agent", "Jennie")
HIDDEN = Occupant("John", "john@staff.test", "supervisor", "John", hidden=True)
ODD = Occupant("Zoë \"&' <x>", "zoe@staff.test", "admin", "Zoë")
VIEWERS = {
    "visitor": (VISITOR, "v1@guest.test/web"),
    "agent": (AGENT, "jennie@staff.test/laptop"),
    "hidden": (HIDDEN, "john@staff.test/desk"),
}
TRICKY = "a\"b'c&d<e>f ünï 中文 🙂 ]]>"
FILE_URL = "https://upload.guest.test/file_share/Zx9/receipt%20(1).png"


class Capture(ComponentXMPP):
    """A stream that is never connected: what is sent is kept."""

    def __init__(self) -> None:
        super().__init__("support.test", "secret", "127.0.0.1", 5347)
        # slixmpp gives every stanza it builds a random id of its own; the strings
        # carry only the ids the room chose (the sender's, the join's), as
        # Prosody's MUC does. Compared without slixmpp's.
        self.use_message_ids = False
        self.use_presence_ids = False
        self.out: list[object] = []

    def send(self, data, use_filters=True):  # type: ignore[no-untyped-def]
        self.out.append(data)


@pytest.fixture
def setup():
    xmpp = Capture()
    return xmpp, Door(xmpp), Views(xmpp, ROOM, OccupantIds(b"k" * 32))


def serialised(xmpp: ComponentXMPP, stanza) -> str:
    """As slixmpp's send queue writes it to the stream."""
    return tostring(stanza.xml, xmlns=xmpp.default_ns, stream=xmpp, top_level=True)


def canonical(text: str) -> str:
    # Through ElementTree first: stanzas split out of one write carry their
    # namespaces as prefixes, slixmpp's as default declarations.
    return ET.canonicalize(xml_data=ET.tostring(ET.fromstring(text), encoding="unicode"))


def delivered(setup, effects: list[Effect]) -> list[str]:
    """The stanzas one delivery wrote: all strings, in one write to the stream."""
    xmpp, door, views = setup
    xmpp.out.clear()
    door.deliver(views, effects)
    assert all(isinstance(s, str) for s in xmpp.out), "hot-path stanzas leave as strings"
    assert len(xmpp.out) <= 1, "one write per delivery"
    wrapped = ET.fromstring(f"<stream>{''.join(str(s) for s in xmpp.out)}</stream>")
    return [ET.tostring(stanza, encoding="unicode") for stanza in wrapped]


def said(sender: Occupant = VISITOR, staff_only: bool = False, stanza_id: str = "sid-1", **kw):
    kw.setdefault("id", "m1")
    kw.setdefault("body", "hello")
    return Said(sender, staff_only, 1_700_000_000.5, stanza_id, Content(**kw))


MESSAGES = {
    "plain": said(),
    "whisper": said(HIDDEN, staff_only=True, body="only staff"),
    "no id": said(id=None),
    "empty body": said(body=""),
    "correction": said(AGENT, body="fixed", replaces="m0", origin_id="o2"),
    "reaction": said(AGENT, body=None, reactions_to="sid-0", reactions=("👍", "❤️", "")),
    "reaction removed": said(AGENT, body=None, reactions_to="sid-0", reactions=()),
    "markable": said(markable=True, origin_id="o1"),
    "marker": said(stanza_id="", body=None, marker="displayed", marks="sid-0"),
    "chat state": said(stanza_id="", body=None, chat_state="composing"),
    "state with body": said(chat_state="active", markable=True, origin_id="o1"),
    "tricky ids": said(
        ODD, id=TRICKY, body=TRICKY, origin_id=TRICKY, replaces=TRICKY, stanza_id=TRICKY
    ),
    "multi-line body": said(body="line one\nline two\r\n\ttabbed  spaced "),
    "file": said(body=FILE_URL, oob_url=FILE_URL),
    "file in a whisper": said(HIDDEN, staff_only=True, body=FILE_URL, oob_url=FILE_URL),
    "file with text": said(AGENT, body="Here it is", oob_url=f"{FILE_URL}?a=1&b=<2>"),
}


@pytest.mark.parametrize("name", MESSAGES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_message_equals_slixmpp(setup, name, viewer):
    xmpp, _, views = setup
    who, to = VIEWERS[viewer]
    effect = MessageOut(to, who, MESSAGES[name])
    [got] = delivered(setup, [effect])
    assert canonical(got) == canonical(serialised(xmpp, views.message(effect)))


def test_one_message_is_stamped_for_each_recipient(setup):
    xmpp, _, views = setup
    message = MESSAGES["tricky ids"]
    effects: list[Effect] = [MessageOut(to, who, message) for who, to in VIEWERS.values()]
    effects.append(MessageOut('odd"&<jid>@guest.test/r', VISITOR, MESSAGES["plain"]))
    got = delivered(setup, effects)
    expected = [serialised(xmpp, views.message(e)) for e in effects]  # type: ignore[arg-type]
    assert [canonical(g) for g in got] == [canonical(e) for e in expected]
    assert len({ET.fromstring(g).get("to") for g in got}) == len(effects)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_history_equals_slixmpp(setup, viewer):
    xmpp, _, views = setup
    who, to = VIEWERS[viewer]
    entries = tuple(s for s in MESSAGES.values() if s.stanza_id and s.payload.body is not None)
    entries = tuple(
        Said(s.sender, s.staff_only, s.stamp + n, f"{s.stanza_id}-{n}", s.payload)
        for n, s in enumerate(entries)
    )
    got = delivered(setup, [HistoryOut(to, who, entries)])
    expected = [serialised(xmpp, views.history_message(to, s)) for s in entries]
    assert [canonical(g) for g in got] == [canonical(e) for e in expected]


def presence_cases() -> dict[str, PresenceOut]:
    agent_at = Session("jennie@staff.test/laptop", "away", "Back in 5 & <soon>")
    hidden_at = Session("john@staff.test/desk")
    hidden_busy = Session("john@staff.test/desk", "dnd", "on a call")
    visitor_at = Session("v1@guest.test/web")
    cases = {}
    for viewer, (who, to) in VIEWERS.items():
        cases[f"{viewer} sees agent"] = PresenceOut(to, who, AGENT, agent_at)
        cases[f"{viewer} sees visitor"] = PresenceOut(to, who, VISITOR, visitor_at)
        cases[f"{viewer} sees agent leave"] = PresenceOut(to, who, AGENT, None, status="bye")
        cases[f"{viewer} sees agent leave silently"] = PresenceOut(to, who, AGENT, None)
        cases[f"{viewer} sees nick change"] = PresenceOut(
            to, who, AGENT, None, frozenset({303}), new_nick='Jen "2" & co'
        )
        cases[f"{viewer} sees room destroyed"] = PresenceOut(
            to, who, who, None, frozenset({110}), status="Chat closed <by agent>", destroyed=True
        )
        cases[f"{viewer} sees room destroyed, no reason"] = PresenceOut(
            to, who, who, None, frozenset({110}), destroyed=True
        )
        cases[f"{viewer} sees odd occupant"] = PresenceOut(
            to, who, ODD, Session("zoe@staff.test/x'\"&", "chat", TRICKY)
        )
        if who.is_staff:
            cases[f"{viewer} sees hidden"] = PresenceOut(to, who, HIDDEN, hidden_at)
            cases[f"{viewer} sees hidden with status"] = PresenceOut(to, who, HIDDEN, hidden_busy)
            cases[f"{viewer} sees hidden leave"] = PresenceOut(to, who, HIDDEN, None)
    own = {"visitor": visitor_at, "agent": agent_at, "hidden": hidden_at}
    for viewer, (who, to) in VIEWERS.items():
        cases[f"{viewer} enters"] = PresenceOut(
            to, who, who, own[viewer], frozenset({110, 210}), id=TRICKY, entering=True
        )
    return cases


PRESENCE = presence_cases()


@pytest.mark.parametrize("name", PRESENCE)
def test_presence_equals_slixmpp(setup, name):
    xmpp, _, views = setup
    effect = PRESENCE[name]
    got = delivered(setup, [effect])
    expected = [serialised(xmpp, views.presence(effect))]
    if effect.entering and effect.viewer.is_staff:
        expected.insert(0, serialised(xmpp, views.service_presence(effect.to)))
    assert [canonical(g) for g in got] == [canonical(e) for e in expected]


# Text and ids as clients may send them: any character XML carries. In an
# attribute, tabs and line breaks are left out here; see the next test.
xml_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff").filter(
        lambda c: c in "\t\n\r" or c >= " "
    )
)
xml_attr = xml_text.filter(lambda s: not any(c in s for c in "\t\n\r"))


@settings(max_examples=200, deadline=None)
@given(body=xml_text, ident=xml_attr, nick=xml_attr.filter(bool), status=xml_text)
def test_any_text_equals_slixmpp(body, ident, nick, status):
    xmpp = Capture()
    door, views = Door(xmpp), Views(xmpp, ROOM, OccupantIds(b"k" * 32))
    sender = Occupant(nick, "a@staff.test", "agent", "A")
    message = MessageOut(
        "v1@guest.test/web",
        VISITOR,
        Said(sender, False, 1.0, ident or "s", Content(ident or None, body, origin_id=ident)),
    )
    presence = PresenceOut(
        "jennie@staff.test/l", AGENT, sender, Session("a@staff.test/r", None, status)
    )
    got = delivered((xmpp, door, views), [message, presence])
    expected = [views.message(message), views.presence(presence)]
    assert [canonical(g) for g in got] == [canonical(serialised(xmpp, e)) for e in expected]


def test_attributes_keep_tabs_and_line_breaks():
    # A parser turns a literal tab or line break in an attribute into a space;
    # written as references they come back to the client exactly as it sent them.
    ident = "a\tb\nc\r\nd"
    rest = wire.said(ROOM, said(id=ident, origin_id=ident), "occ")
    parsed = ET.fromstring(wire.stamp("message", "v1@guest.test/web", rest))
    assert parsed.get("id") == ident
    assert parsed.find("{urn:xmpp:sid:0}origin-id").get("id") == ident  # type: ignore[union-attr]


def test_characters_xml_cannot_carry_are_dropped():
    # One would make the server close the component's stream, every chat with it.
    bad = "a\x00b\x01c\x1fd\ud800e\ufffff"
    rest = wire.said(ROOM, said(id=bad, body=bad), "occ")
    parsed = ET.fromstring(wire.stamp("message", "v1@guest.test/web", rest))
    assert parsed.get("id") == "abcdef"
    assert parsed.findtext("body") == "abcdef"
