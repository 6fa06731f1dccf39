"""Generated stanzas against the real component (issue 9, "no input breaks a handler").

Real clients share one chat: the visitor, the agent Jennie (also on the desk,
and in the chat from a second client too) and the supervisor John, joined
hidden; a second visitor stands outside. Hypothesis writes what they send:
messages, presences and IQs carrying the payloads Huddle reads (XEP-0045 in all
its namespaces, chat states, receipts, markers, corrections with random or
chained targets, reactions, replies with fallback ranges, origin- and
stanza-ids, MAM with RSM, disco, ad-hoc commands, ping, invitations, the
widget's ``<visitor>`` element, join history limits) and payloads it has never
heard of, with random, missing, empty, huge and unicode-hostile values,
addressed to the room, to nicks present, absent and hidden, to the desk and to
the service. Every stanza goes through Prosody, as it would from the internet.

After every example: the component logged no traceback and no error, nobody
received ``internal-server-error``, every IQ get/set got exactly one reply, and
no error text shows Python internals. After all of them: the room's state is
whole, each client is either in the room or out of it as its own presences
say, and a fresh chat works.

Placeholders such as ``«ROOM»`` and ``«VISITOR»`` stand for addresses and nicks
known only while the test runs; they are filled in as each stanza is sent, so
a falsifying example prints as readable XML.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import os
import re
import secrets
import string
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from component.dev.stack import DevStack
from roles.room import RoomState
from tests.integration.client import (
    Client,
    codes,
    error_condition,
    groupchat_from,
    is_subject,
    presence_from,
    q,
)
from tests.integration.desk_helpers import close_all_chats, desk_notice, on_desk

pytestmark = pytest.mark.integration

NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_SID = "urn:xmpp:sid:0"
NS_MUC = "http://jabber.org/protocol/muc"
NS_CORRECT = "urn:xmpp:message-correct:0"
NS_COMMANDS = "http://jabber.org/protocol/commands"
NS_DATA = "jabber:x:data"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_MAM = "urn:xmpp:mam:2"
PING = "<ping xmlns='urn:xmpp:ping'/>"

# How many generated examples one run sends; each is a handful of stanzas from
# the clients. Enough to cover every kind of stanza many times over while
# keeping the file well under a minute on two cores; set HUDDLE_FUZZ_EXAMPLES
# for a longer hunt.
EXAMPLES = int(os.environ.get("HUDDLE_FUZZ_EXAMPLES", "200"))
SETTLE_TIMEOUT = 15.0

# --- values ----------------------------------------------------------------------


def words(text: str) -> list[str]:
    return text.split()


# XML 1.0 forbids these outright: a client sending one is disconnected by
# Prosody before Huddle sees anything, so they test nothing of ours.
ILLEGAL_XML = "".join(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])) + "\ufffe\uffff"
CHARS = st.characters(exclude_categories=["Cs"], exclude_characters=ILLEGAL_XML)
# Characters that break naive text handling: bidi overrides and isolates,
# zero-width and line separators, C1 controls, combining marks, markup, emoji.
NASTY = st.sampled_from(
    "\u202e\u202d\u2066\u2067\u2068\u2069\u200f\u200e\u200b\u200d\ufeff\u2028\u2029"
    "\x7f\x85\x9f\t\r\n \u00a0\u0301\u0338<>&'\"\\/@%«»"
    "\U0001f600\U0001f1fa\U0001f1f8\ufdd0\U0010fffd"
)
WORDS = st.sampled_from(
    ["Alice", "Alice (visitor)", "Jennie", "John", "Josh", "Admin", "desk", "none", "null", "0"]
)
TEXT = st.one_of(
    st.just(""),
    st.text(CHARS, max_size=30),
    st.text(NASTY, min_size=1, max_size=12),
    WORDS,
)


def _long(piece: str, size: int) -> str:
    """``piece`` repeated to about ``size`` bytes of UTF-8: tens of kB that
    hypothesis could not draw character by character."""
    return piece * (size // len(piece.encode()) + 1)


LONG = st.builds(
    _long, st.text(st.one_of(CHARS, NASTY), min_size=1, max_size=12), st.integers(1_000, 40_000)
)
NUMBER = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(
        [
            *words("0 -1 1e3 NaN inf -inf 1.5 0x1f +3 1_000 \u0663 \uff17 ten"),
            *words("2147483648 18446744073709551616"),
            *["", " 7 ", "9" * 401, "-" + "9" * 400, "1" * 5000, "0" * 300 + "1"],
        ]
    ),
)
DATE = st.one_of(
    st.sampled_from(
        [
            *words("now 99999-01-01T00:00:00Z 9999-12-31T23:59:59Z 9999-12-31T23:59:59-14:00"),
            *words("0001-01-01T00:00:00Z 0001-01-01T00:00:00+14:00 0000-01-01T00:00:00Z"),
            *words("1970-01-01T00:00:00Z 2024-02-30T00:00:00Z 2024-13-01T00:00:00Z"),
            *words("2024-01-01T25:61:61Z 2024-01-01 2024-01-01T00:00:00 2024-W01-1"),
            *words("2024-01-01T00:00:00.123456789Z -2024-01-01T00:00:00Z"),
            *words("2024-01-01T00:00:00+99:99"),
            *["", "1" * 400],
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
)


def rare(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``strategy`` one time in ten, a short text otherwise (one_of draws its
    branches evenly, so weight comes from repeating a branch)."""
    return st.one_of(*[TEXT] * 9, strategy)


VALUE = st.one_of(TEXT, TEXT, NUMBER, DATE, rare(LONG))
ID = st.one_of(
    st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=12), TEXT, rare(LONG)
)
NICK = st.one_of(
    WORDS,
    st.text(string.ascii_letters + string.digits + " ()-_.", min_size=1, max_size=20),
    TEXT,
    rare(LONG),
    st.sampled_from(["«VISITOR»", "«AGENT»", "«HIDDEN»", "«SELF»", "Alice (visitor) (visitor)"]),
)
# A room's local part: never "@" or "/", which would send the stanza to
# another server (a slow s2s failure that tests Prosody, not Huddle).
LOCAL = st.one_of(
    st.text(CHARS.filter(lambda c: c not in "@/"), max_size=30),
    st.sampled_from(["chat-short", "CHAT-AAAAAAAAAAAAAAAAAAAA", "chat-" + "a" * 200, "chat-", "x"]),
)


def maybe(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), strategy)


def attr(name: str, value: str | None) -> str:
    """A missing attribute is None; anything else is escaped, whatever it holds."""
    return "" if value is None else f" {name}={quoteattr(value)}"


def text_of(value: str) -> str:
    return escape(value)


# --- addresses ---------------------------------------------------------------------

# The addresses that exist, most often; then any nick, resource or room name.
ADDRESS = st.sampled_from(
    [
        "«ROOM»",
        "«ROOM»",
        "«ROOM»/«VISITOR»",
        "«ROOM»/«AGENT»",
        "«ROOM»/«HIDDEN»",
        "«ROOM»/«SELF»",
        "«SERVICE»",
        "«DESK»",
        "«DESK»/«SELF»",
        "«DESK»/«AGENT»",
        "«OTHER»",
        "«OTHER»/«SELF»",
    ]
)
TARGET = st.one_of(
    ADDRESS,
    ADDRESS,
    ADDRESS,
    NICK.map(lambda nick: f"«ROOM»/{nick}"),
    NICK.map(lambda nick: f"«DESK»/{nick}"),
    TEXT.map(lambda resource: f"«SERVICE»/{resource}"),
    LOCAL.map(lambda local: f"{local}@«SERVICE»"),
)
ROOMISH = st.one_of(
    st.sampled_from(["«ROOM»", "«OTHER»", "«DESK»", "«SERVICE»"]),
    LOCAL.map(lambda x: f"{x}@«SERVICE»"),
)


# --- payloads ------------------------------------------------------------------------


def element(name: str, ns: str | None, attrs: str = "", body: str = "") -> str:
    xmlns = attr("xmlns", ns)
    return f"<{name}{xmlns}{attrs}>{body}</{name}>" if body else f"<{name}{xmlns}{attrs}/>"


def error_element(draw: st.DrawFn) -> str:
    condition = draw(
        st.sampled_from(
            words(
                "recipient-unavailable remote-server-not-found service-unavailable item-not-found "
                "gone not-acceptable bad-request undefined-condition"
            )
        )
    )
    etype = draw(maybe(st.sampled_from(["cancel", "wait", "modify", "auth", "bogus"])))
    text = draw(maybe(VALUE))
    inner = element(condition, NS_STANZAS)
    if text is not None:
        inner += element("text", NS_STANZAS, body=text_of(text))
    return f"<error{attr('type', etype)}>{inner}</error>"


def unknown(draw: st.DrawFn) -> str:
    """A payload nobody registered, sometimes nested deep."""
    name = draw(st.sampled_from(["foo", "query", "x", "body", "data", "secret", "command"]))
    ns = draw(st.sampled_from(["urn:example:fuzz", "", "jabber:client", "urn:xmpp:fuzz:0"]))
    body = text_of(draw(VALUE))
    for _ in range(draw(st.sampled_from([0, 0, 1, 5, 200]))):
        body = f"<n>{body}</n>"
    return element(name, ns or None, attr("a", draw(maybe(VALUE))), body)


def form(draw: st.DrawFn, form_type: str | None, vars_: list[str]) -> str:
    """A XEP-0004 form with some of ``vars_`` (and maybe a stranger), values random."""
    fields = ""
    if form_type is not None:
        fields += f"<field var='FORM_TYPE'><value>{text_of(form_type)}</value></field>"
    for var in draw(st.lists(st.sampled_from([*vars_, "bogus"]), max_size=4)):
        values = "".join(f"<value>{text_of(v)}</value>" for v in draw(st.lists(VALUE, max_size=2)))
        fields += f"<field{attr('var', var)}>{values}</field>"
    x_type = draw(maybe(st.sampled_from(["submit", "form", "result", "cancel", "bogus"])))
    return element("x", NS_DATA, attr("type", x_type), fields)


@st.composite
def message_part(draw: st.DrawFn, ref: st.SearchStrategy[str]) -> str:
    kind = draw(
        st.sampled_from(
            words(
                "body body body command subject state receipt marker correction reactions reply "
                "origin-id stanza-id forged invite conference visitor voice error unknown html oob "
                "retract"
            )
        )
    )
    if kind == "body":
        return element(
            "body",
            None,
            attr("xml:lang", draw(maybe(TEXT))),
            text_of(draw(st.one_of(TEXT, LONG, st.just("x" * 10_001)))),
        )
    if kind == "command":
        return element("body", None, body=text_of(draw(COMMAND)))
    if kind == "subject":
        return element("subject", None, body=text_of(draw(VALUE)))
    if kind == "state":
        state = draw(st.sampled_from(["active", "composing", "paused", "inactive", "gone", "x"]))
        return element(state, "http://jabber.org/protocol/chatstates")
    if kind == "receipt":
        name = draw(st.sampled_from(["request", "received"]))
        return element(name, "urn:xmpp:receipts", attr("id", draw(maybe(ref))))
    if kind == "marker":
        name = draw(st.sampled_from(["markable", "displayed", "received", "acknowledged"]))
        return element(name, "urn:xmpp:chat-markers:0", attr("id", draw(maybe(ref))))
    if kind == "correction":
        return element("replace", NS_CORRECT, attr("id", draw(maybe(ref))))
    if kind == "reactions":
        reactions = "".join(
            element("reaction", None, body=text_of(r))
            for r in draw(st.lists(st.one_of(TEXT, rare(LONG)), max_size=25))
        )
        return element("reactions", "urn:xmpp:reactions:0", attr("id", draw(maybe(ref))), reactions)
    if kind == "reply":
        reply = element(
            "reply",
            "urn:xmpp:reply:0",
            attr("to", draw(maybe(TARGET))) + attr("id", draw(maybe(ref))),
        )
        span = attr("start", draw(maybe(NUMBER))) + attr("end", draw(maybe(NUMBER)))
        for_ = draw(maybe(st.sampled_from(["urn:xmpp:reply:0", "urn:xmpp:reply:0", "urn:x"])))
        fallback = element(
            "fallback", "urn:xmpp:fallback:0", attr("for", for_), element("body", None, span)
        )
        return reply + fallback
    if kind == "origin-id":
        return element("origin-id", NS_SID, attr("id", draw(maybe(ID))))
    if kind == "stanza-id":
        return element(
            "stanza-id", NS_SID, attr("id", draw(maybe(ID))) + attr("by", draw(maybe(TARGET)))
        )
    if kind == "forged":
        return draw(
            st.sampled_from(
                [
                    element("occupant-id", "urn:xmpp:occupant-id:0", " id='forged'"),
                    element("delay", "urn:xmpp:delay", " stamp='2001-01-01T00:00:00Z'"),
                    element("hats", "urn:xmpp:hats:0", body="<hat title='Admin' uri='urn:x'/>"),
                    element(
                        "x",
                        "http://jabber.org/protocol/muc#user",
                        body="<item role='moderator' affiliation='owner' jid='john@localhost'/>",
                    ),
                ]
            )
        )
    if kind == "invite":
        name = draw(st.sampled_from(["invite", "decline"]))
        inner = element(
            name,
            None,
            attr("to", draw(maybe(TARGET))) + attr("from", draw(maybe(TARGET))),
            element("reason", None, body=text_of(draw(VALUE))),
        )
        return element("x", "http://jabber.org/protocol/muc#user", body=inner)
    if kind == "conference":
        attrs = (
            attr("jid", draw(maybe(st.one_of(ROOMISH, TEXT))))
            + attr("reason", draw(maybe(VALUE)))
            + attr("password", draw(maybe(TEXT)))
        )
        return element("x", "jabber:x:conference", attrs)
    if kind == "visitor":
        return visitor_details(draw)
    if kind == "voice":
        return form(draw, "http://jabber.org/protocol/muc#request", ["muc#role", "muc#jid"])
    if kind == "error":
        return error_element(draw)
    if kind == "html":
        return element(
            "html",
            "http://jabber.org/protocol/xhtml-im",
            body=f"<body xmlns='http://www.w3.org/1999/xhtml'><p>{text_of(draw(TEXT))}</p></body>",
        )
    if kind == "oob":
        return element("x", "jabber:x:oob", body=element("url", None, body=text_of(draw(VALUE))))
    if kind == "retract":
        return element("retract", "urn:xmpp:message-retract:1", attr("id", draw(maybe(ref))))
    return unknown(draw)


def visitor_details(draw: st.DrawFn) -> str:
    children = "".join(
        element(name, None, body=text_of(draw(st.one_of(VALUE, LONG))))
        for name in draw(
            st.lists(st.sampled_from(["name", "email", "page", "user-agent", "x"]), max_size=5)
        )
    )
    return element("visitor", "urn:huddle:visitor:0", body=children)


# Staff commands typed in a chat or on the desk. Never !close: it would end the
# fuzzed chat for the rest of the run (closing has its own tests).
COMMAND = st.one_of(
    st.sampled_from(
        [
            "!w",
            "!w psst",
            "!whisper x",
            "!say hello",
            "!say",
            "!reveal",
            "!hide",
            "!help",
            "!info",
            "!take",
            "!invite",
            "!invite josh",
            "!invite accounts",
            "!transfer",
            "!!escaped",
            "!",
            "! x",
            "!!",
            "!W LOUD",
            "!w\n\nlines",
            "!chats",
            "!stats",
            "!supervise «CHATID»",
            "!take «CHATID»",
            "!supervise",
            "!take zzz",
            "!nonsense",
        ]
    ),
    st.tuples(
        st.sampled_from(["!w", "!say", "!invite", "!transfer", "!supervise", "!take", "!info"]),
        st.one_of(TEXT, LONG),
    ).map(" ".join),
).filter(lambda body: body.split(None, 1)[0].lower() != "!close" if body.strip() else True)


@st.composite
def message(draw: st.DrawFn, ref: st.SearchStrategy[str]) -> tuple[str, str | None]:
    """A message, and its id for later stanzas to refer to."""
    mtype = draw(
        st.sampled_from(
            [None, *words("groupchat groupchat groupchat chat normal headline error bogus")]
        )
    )
    mid = draw(maybe(ID))
    parts = "".join(draw(st.lists(message_part(ref), max_size=5)))
    to = draw(st.one_of(st.just("«ROOM»"), TARGET))
    head = f"<message{attr('to', to)}{attr('type', mtype)}{attr('id', mid)}>"
    xml = f"{head}{parts}</message>"
    return xml, mid


@st.composite
def correction_chain(draw: st.DrawFn) -> list[str]:
    """A message and corrections of it, each of the one before, by id or origin-id."""
    base = draw(st.text(string.ascii_lowercase, min_size=1, max_size=6))
    by_origin = draw(st.booleans())
    out = []
    for n in range(draw(st.integers(1, 40))):
        own = f"{base}-{n}"
        origin = f"<origin-id xmlns='{NS_SID}' id='{own}o'/>"
        previous = f"{base}-{n - 1}" + ("o" if by_origin else "")
        replace = f"<replace xmlns='{NS_CORRECT}' id='{previous}'/>" if n else ""
        out.append(
            f"<message to='«ROOM»' type='groupchat' id='{own}'>"
            f"<body>{text_of(draw(TEXT))}</body>{origin}{replace}</message>"
        )
    return out


# Limits no client would ask for, but anyone may: they reach float arithmetic
# and date conversions.
ABSURD_NUMBER = st.sampled_from(["9" * 401, "-" + "9" * 401, "1" * 4300, "1e400", "-1", "NaN"])
ABSURD_DATE = st.sampled_from(
    ["99999-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "x"]
)


def history(draw: st.DrawFn) -> str:
    attrs = "".join(
        attr(
            name,
            draw(
                maybe(
                    st.one_of(DATE, ABSURD_DATE)
                    if name == "since"
                    else st.one_of(NUMBER, ABSURD_NUMBER)
                )
            ),
        )
        for name in ("maxstanzas", "maxchars", "seconds", "since")
    )
    return element("history", None, attrs)


@st.composite
def rejoin(draw: st.DrawFn) -> list[str]:
    """Leave and come back asking for history, or join another chat or the desk:
    the paths that deliver history and open chats."""
    room = draw(st.sampled_from(["«ROOM»", "«ROOM»", "«OTHER»", "«DESK»"]))
    nick = draw(st.one_of(st.just("«SELF»"), NICK))
    out = [f"<presence to='{room}/«SELF»' type='unavailable'/>"] if draw(st.booleans()) else []
    extra = visitor_details(draw) if draw(st.booleans()) else ""
    join_id = attr("id", draw(maybe(ID)))
    inner = element("x", NS_MUC, body=history(draw))
    out.append(f"<presence{attr('to', f'{room}/{nick}')}{join_id}>{inner}{extra}</presence>")
    return out


@st.composite
def presence(draw: st.DrawFn) -> str:
    ptype = draw(
        st.sampled_from(
            [
                None,
                None,
                None,
                *words(
                    "unavailable unavailable error probe subscribe unsubscribed bogus groupchat"
                ),
            ]
        )
    )
    parts = ""
    for kind in draw(
        st.lists(
            st.sampled_from(
                words("muc muc show status priority user visitor caps error unknown idle nick")
            ),
            max_size=5,
        )
    ):
        if kind == "muc":
            inner = history(draw) if draw(st.booleans()) else ""
            if draw(st.booleans()):
                inner += element("password", None, body=text_of(draw(TEXT)))
            parts += element("x", NS_MUC, body=inner)
        elif kind == "show":
            show = draw(st.one_of(st.sampled_from(["away", "chat", "dnd", "xa", ""]), VALUE))
            parts += element("show", None, body=text_of(show))
        elif kind == "status":
            parts += element("status", None, body=text_of(draw(st.one_of(VALUE, LONG))))
        elif kind == "priority":
            parts += element("priority", None, body=text_of(draw(NUMBER)))
        elif kind == "user":
            item = element(
                "item",
                None,
                attr("role", draw(maybe(TEXT)))
                + attr("affiliation", draw(maybe(TEXT)))
                + attr("nick", draw(maybe(NICK))),
            )
            parts += element("x", "http://jabber.org/protocol/muc#user", body=item)
        elif kind == "visitor":
            parts += visitor_details(draw)
        elif kind == "caps":
            parts += element(
                "c",
                "http://jabber.org/protocol/caps",
                attr("hash", draw(maybe(TEXT)))
                + attr("node", draw(maybe(VALUE)))
                + attr("ver", draw(maybe(VALUE))),
            )
        elif kind == "error":
            parts += error_element(draw)
        elif kind == "idle":
            parts += element("idle", "urn:xmpp:idle:1", attr("since", draw(maybe(DATE))))
        elif kind == "nick":
            parts += element("nick", "http://jabber.org/protocol/nick", body=text_of(draw(NICK)))
        else:
            parts += unknown(draw)
    return (
        f"<presence{attr('to', draw(st.one_of(st.just('«ROOM»/«SELF»'), TARGET)))}"
        f"{attr('type', ptype)}"
        f"{attr('id', draw(maybe(ID)))}>{parts}</presence>"
    )


@st.composite
def mam_query(draw: st.DrawFn, ref: st.SearchStrategy[str]) -> str:
    inner = ""
    if draw(st.booleans()):
        form_type = draw(maybe(st.sampled_from([NS_MAM, NS_MAM, "urn:xmpp:mam:1", ""])))
        inner += form(draw, form_type, ["start", "end", "with", "before-id", "after-id"])
    if draw(st.booleans()):
        rsm = ""
        for name in draw(
            st.lists(st.sampled_from(["max", "after", "before", "index"]), max_size=4, unique=True)
        ):
            value = draw(NUMBER) if name in ("max", "index") else draw(st.one_of(ref, st.just("")))
            rsm += element(name, None, body=text_of(value))
        inner += element("set", NS_RSM, body=rsm)
    return element("query", NS_MAM, attr("queryid", draw(maybe(ID))), inner)


@st.composite
def iq_payload(draw: st.DrawFn, ref: st.SearchStrategy[str]) -> tuple[str, str, str]:
    """A payload, with the IQ type and address it would have from a real client."""
    payload = draw(iq_child(ref))
    ns = ET.fromstring(payload).tag.partition("}")[0].lstrip("{")
    itype, to = NATURAL.get(ns, ("get", "«SERVICE»"))
    if ns == NS_MAM and "<x" not in payload and "<set" not in payload:
        itype = draw(st.sampled_from(["get", "set"]))
    return payload, itype, to


NATURAL = {
    NS_MAM: ("set", "«ROOM»"),
    NS_COMMANDS: ("set", "«SERVICE»"),
    "http://jabber.org/protocol/muc#admin": ("set", "«ROOM»"),
    "http://jabber.org/protocol/muc#owner": ("get", "«ROOM»"),
    "urn:xmpp:ping": ("get", "«ROOM»/«SELF»"),
    "vcard-temp": ("get", "«ROOM»/«HIDDEN»"),
}


@st.composite
def iq_child(draw: st.DrawFn, ref: st.SearchStrategy[str]) -> str:
    kind = draw(
        st.sampled_from(
            words(
                "info items ping mam mam mam-form admin owner command command vcard version "
                "register unknown"
            )
        )
    )
    node = attr("node", draw(maybe(maybe(st.one_of(st.just(NS_COMMANDS), COMMAND_NODE, TEXT)))))
    if kind == "info":
        return element("query", "http://jabber.org/protocol/disco#info", node)
    if kind == "items":
        return element("query", "http://jabber.org/protocol/disco#items", node)
    if kind == "ping":
        return PING
    if kind == "mam":
        return draw(mam_query(ref))
    if kind == "mam-form":
        return element("query", NS_MAM)
    if kind == "admin":
        items = "".join(
            element(
                "item",
                None,
                attr("nick", draw(maybe(NICK)))
                + attr("role", draw(maybe(TEXT)))
                + attr("affiliation", draw(maybe(TEXT)))
                + attr("jid", draw(maybe(TARGET))),
                element("reason", None, body=text_of(draw(TEXT))),
            )
            for _ in range(draw(st.integers(0, 3)))
        )
        return element("query", "http://jabber.org/protocol/muc#admin", body=items)
    if kind == "owner":
        inner = draw(st.sampled_from(["", "form", "destroy"]))
        if inner == "form":
            inner = form(
                draw,
                "http://jabber.org/protocol/muc#roomconfig",
                ["muc#roomconfig_roomname", "muc#roomconfig_persistentroom"],
            )
        elif inner == "destroy":
            inner = element(
                "destroy",
                None,
                attr("jid", draw(maybe(ROOMISH))),
                element("reason", None, body=text_of(draw(TEXT))),
            )
        return element("query", "http://jabber.org/protocol/muc#owner", body=inner)
    if kind == "command":
        attrs = (
            attr("node", draw(st.one_of(COMMAND_NODE, COMMAND_NODE, maybe(TEXT))))
            + attr(
                "action",
                draw(
                    maybe(
                        st.sampled_from(
                            ["execute", "next", "complete", "prev", "cancel", "", "bogus"]
                        )
                    )
                ),
            )
            # Mostly none (a start) or the sender's last one (a next stage).
            + attr("sessionid", draw(maybe(st.one_of(st.just("«CMDSID»"), TEXT, rare(LONG)))))
        )
        body = ""
        if draw(st.booleans()):
            body = form(
                draw,
                None,
                ["chat", "jid", "role", "team", "name", "max-chats", "reason", "since", "limit"],
            )
        return element("command", NS_COMMANDS, attrs, body)
    if kind == "vcard":
        return element("vCard", "vcard-temp")
    if kind == "version":
        return element("query", "jabber:iq:version")
    if kind == "register":
        return element("query", "jabber:iq:register")
    return unknown(draw)


COMMAND_NODE = st.sampled_from(
    words("list-chats supervise take close list-staff add-staff edit-staff remove-staff read-audit")
)


@st.composite
def iq(draw: st.DrawFn, ref: st.SearchStrategy[str]) -> str:
    payload, natural_type, natural_to = draw(iq_payload(ref))
    itype = draw(
        st.one_of(
            st.just(natural_type),
            st.just(natural_type),
            st.sampled_from(["get", "set", "result", "error"]),
        )
    )
    natural = draw(st.sampled_from([True, True, True, False]))
    to = natural_to if natural else draw(st.one_of(ADDRESS, TARGET))
    if itype == "error":
        payload += error_element(draw)
    # The id starts with a placeholder for a unique id, so that replies can be
    # counted; the rest of it is as random as anything else.
    iq_id = "«IQID»" + draw(st.one_of(st.just(""), TEXT, rare(LONG)))
    return f"<iq{attr('to', to)}{attr('type', itype)}{attr('id', iq_id)}>{payload}</iq>"


# Who sends: the chat's visitor, Jennie from two clients at once (one nick, two
# sessions), John the hidden supervisor, and an outsider: another visitor, in
# no chat to begin with.
SENDERS = ("visitor", "agent", "agent2", "supervisor", "outsider")
NICKS = {
    "visitor": "Alice (visitor)",
    "agent": "Jennie",
    "agent2": "Jennie",
    "supervisor": "John",
    "outsider": "Bob (visitor)",
}
# Prosody's c2s limit is 256 kB a stanza; over it the client is disconnected.
MAX_STANZA_BYTES = 200_000


@st.composite
def scenario(draw: st.DrawFn) -> list[tuple[str, str]]:
    """What the clients send in one example, in order: (sender, stanza)."""
    steps: list[tuple[str, str]] = []
    ids: list[str] = []
    for _ in range(draw(st.integers(1, 10))):
        who = draw(st.sampled_from(SENDERS))
        # References to earlier messages of this example, to what the sender last
        # received (a message id, a stanza-id), or to nothing anyone sent.
        ref = st.one_of(
            ID, st.sampled_from(["«SID»", "«MSGID»"]), *([st.sampled_from(ids)] if ids else [])
        )
        kind = draw(
            st.sampled_from(
                words("message message message presence presence iq iq iq iq chain rejoin")
            )
        )
        if kind == "message":
            xml, mid = draw(message(ref))
            if mid:
                ids.append(mid)
            sent = [xml]
        elif kind == "presence":
            sent = [draw(presence())]
        elif kind == "iq":
            sent = [draw(iq(ref))]
        elif kind == "rejoin":
            sent = draw(rejoin())
        else:
            sent = draw(correction_chain())
        steps.extend((who, xml) for xml in sent if len(xml.encode()) < MAX_STANZA_BYTES)
    return steps


# --- the run ---------------------------------------------------------------------------

INTERNAL = re.compile(
    r"Traceback \(most recent|File \"[^\"]*\", line \d+|\b[A-Z]\w*(Error|Exception)\b"
    r"|site-packages|\.py\b|/usr/lib/|/work/|/tmp/|object has no attribute|NoneType"
    r"|invalid literal for|unsupported operand|not subscriptable|maximum recursion"
)


class Collected(logging.Handler):
    """Every record logged at ERROR or above, or with a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        serious = record.levelno >= logging.ERROR or record.exc_info
        if serious and not self._closed_client(record):
            self.records.append(record)

    @staticmethod
    def _closed_client(record: logging.LogRecord) -> bool:
        """asyncio's note that a test client closed earlier left its send loop
        pending when it was collected: the clients' business, not the component's,
        whose own link stays up for the whole session."""
        message = record.getMessage()
        return (
            record.name == "asyncio"
            and message.startswith("Task was destroyed but it is pending")
            and "XMLStream.run_filters()" in message
        )

    def describe(self, since: int = 0) -> str:
        return "\n".join(
            f"{r.name} {r.levelname}: {r.getMessage()[:2000]}"
            + (f"\n{self.format(r)[-3000:]}" if r.exc_info else "")
            for r in self.records[since:]
        )


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevStack]:
    """A Prosody and component of this module's own, in place of the session's:
    what the fuzzer leaves behind (chats, transcripts, audit lines, hostile text)
    must not reach tests that read the whole database, and theirs must not
    reach the fuzzer."""
    async with DevStack(tmp_path_factory.mktemp("huddle-fuzz")) as running:
        yield running


@pytest.fixture
def logged_errors() -> Iterator[Collected]:
    """What the component (running in this process) logs while the test runs."""
    handler = Collected()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@contextmanager
def unthrottled(stack: DevStack) -> Iterator[None]:
    """Message and presence rates per occupant lifted, if the configuration has
    them: with them, most generated stanzas would meet the same refusal before
    any handler read them (the limits are tested on their own)."""
    huddle = stack.huddle
    assert huddle is not None and huddle.muc is not None
    muc = huddle.muc
    original = muc.config
    limits = getattr(original, "limits", None)
    if limits is not None and dataclasses.is_dataclass(limits):
        lifted = {
            f.name: dataclasses.replace(value, per_second=1e6, burst=10**6)
            for f in dataclasses.fields(limits)
            if hasattr(value := getattr(limits, f.name), "burst")
        }
        muc.config = dataclasses.replace(original, limits=dataclasses.replace(limits, **lifted))
    try:
        yield
    finally:
        muc.config = original


def state_of(stack: DevStack, room: str) -> RoomState | None:
    assert stack.huddle is not None and stack.huddle.muc is not None
    found = stack.huddle.muc.rooms.get(room.split("@")[0])
    return found.state if found is not None else None


def assert_whole(state: RoomState) -> None:
    """The room core's indexes agree: nobody is half in (issue 9: "an occupant is
    either fully in or fully out")."""
    where = state.jid
    for session, nick in state.nick_of_session.items():
        assert nick in state.occupants and session in state.sessions.get(nick, {}), (where, session)
    assert set(state.sessions) == set(state.occupants), where
    for nick, occupant in state.occupants.items():
        assert occupant.nick == nick, (where, nick)
        assert state.sessions[nick], (where, nick, "no sessions")
        assert state.nick_of_jid.get(occupant.jid) == nick, (where, nick)
        for session in state.sessions[nick]:
            assert state.nick_of_session.get(session) == nick, (where, session)
    for jid, nick in state.nick_of_jid.items():
        assert state.occupants[nick].jid == jid, (where, jid)
    assert sum(o.role == "visitor" for o in state.occupants.values()) <= 1, where


def as_relayed(value: str) -> str:
    """An attribute value as it arrives after Prosody relayed it.

    COMPAT: Prosody 0.12 writes tabs and line breaks in attribute values
    unescaped, so the next parser normalises them to spaces (XML 1.0 §3.3.3):
    an IQ id with a line break comes back with a space instead."""
    return re.sub(r"\r\n|[\r\n\t]", " ", value)


def error_texts(stanzas: list[ET.Element]) -> list[str]:
    return [
        ET.tostring(error, encoding="unicode")
        for s in stanzas
        if s.get("type") == "error" and (error := s.find(q("error"))) is not None
    ]


async def settle(timeout: float = SETTLE_TIMEOUT) -> None:
    """Wait until no stanza handler runs anywhere in this process.

    COMPAT: slixmpp runs each coroutine handler as a task of its own wrapper
    (``CoroutineCallback``'s ``pointer_wrapper``); the component and the clients
    share this event loop, so no such task means every stanza received so far
    has been dealt with."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        busy = [
            t
            for t in asyncio.all_tasks()
            if not t.done()
            and getattr(t.get_coro(), "__qualname__", "").endswith("pointer_wrapper")
        ]
        if not busy:
            return
        if loop.time() > deadline:
            raise AssertionError(f"stanza handlers still running after {timeout} s: {busy}")
        await asyncio.sleep(0.005)


@dataclass
class Arena:
    """The fuzzed chat: who is in it, and what each example must leave true."""

    stack: DevStack
    room: str
    other: str  # a second chat address, for joins and IQs elsewhere
    clients: dict[str, Client]
    logged: Collected
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    sent: int = 0

    @property
    def service(self) -> str:
        return self.stack.info.service

    @property
    def desk(self) -> str:
        return self.stack.info.desk

    def nick(self, client: Client, room: str) -> str | None:
        state = state_of(self.stack, room)
        return state.nick_of_jid.get(client.bare) if state is not None else None

    def last_received(self, client: Client, child: str = "") -> str | None:
        """The id (or the stanza-id, with ``child``) of the newest groupchat
        message this client got from the room."""
        for s in reversed(client.xmpp.stanzas):
            if s.tag != q("message") or not (s.get("from") or "").startswith(self.room):
                continue
            if not child:
                if s.get("id"):
                    return s.get("id")
                continue
            sid = s.find(q(child, NS_SID))
            if sid is not None and sid.get("id"):
                return sid.get("id")
        return None

    @staticmethod
    def last_command_session(client: Client) -> str:
        """The sessionid of the ad-hoc command this client ran last."""
        for s in reversed(client.xmpp.stanzas):
            command = s.find(q("command", NS_COMMANDS))
            if s.tag == q("iq") and command is not None and command.get("sessionid"):
                return command.get("sessionid", "")
        return "no-such-session"

    def fill(self, template: str, who: str) -> str:
        client = self.clients[who]

        def nick_of(key: str) -> str:
            return self.nick(self.clients[key], self.room) or NICKS[key]

        values = {
            "«ROOM»": self.room,
            "«OTHER»": self.other,
            "«DESK»": self.desk,
            "«SERVICE»": self.service,
            "«VISITOR»": nick_of("visitor"),
            "«AGENT»": nick_of("agent"),
            "«HIDDEN»": nick_of("supervisor"),
            "«SELF»": nick_of(who),
            "«CHATID»": self.room.removeprefix("chat-")[:8],
            "«SID»": self.last_received(client, "stanza-id") or "no-such-stanza-id",
            "«MSGID»": self.last_received(client) or "no-such-id",
            "«CMDSID»": self.last_command_session(client),
        }
        for token, value in values.items():
            # Escaped for an attribute in either quote, or for text.
            template = template.replace(token, escape(value, {"'": "&apos;", '"': "&quot;"}))
        while "«IQID»" in template:
            template = template.replace("«IQID»", f"fz{next(self.ids)}-", 1)
        return template

    async def round_trip(self) -> None:
        """Everything each client sent has reached the component, every handler
        has finished, and everything sent back has arrived."""
        for client in self.clients.values():
            await client.iq(self.service, PING)
        await settle()
        for client in self.clients.values():
            await client.iq(self.service, PING)

    async def play(self, steps: list[tuple[str, str]]) -> None:
        marks = {who: (c.mark(), len(c.xmpp.raw)) for who, c in self.clients.items()}
        logged = len(self.logged.records)
        asked: list[tuple[str, str]] = []
        for who, template in steps:
            xml = self.fill(template, who)
            stanza = ET.fromstring(xml)  # a malformed stanza would be the test's own bug
            if stanza.tag == "iq" and stanza.get("type") in ("get", "set"):
                asked.append((who, stanza.get("id", "")))
            self.clients[who].send(xml)
            self.sent += 1
        await self.round_trip()

        assert len(self.logged.records) == logged, (
            f"the component logged errors:\n{self.logged.describe(logged)}"
        )
        for who, client in self.clients.items():
            mark, raw_mark = marks[who]
            received = client.xmpp.raw[raw_mark:]
            assert b"internal-server-error" not in received, (
                f"{who} got internal-server-error:\n{received.decode(errors='replace')[-4000:]}"
            )
            for text in error_texts(client.since(mark)):
                assert not INTERNAL.search(text), (
                    f"{who} got an error with internals: {text[:2000]}"
                )
        for who, iq_id in asked:
            replies = [
                s
                for s in self.clients[who].since(marks[who][0])
                if s.tag == q("iq") and as_relayed(s.get("id", "")) == as_relayed(iq_id)
            ]
            assert len(replies) == 1, f"{who}'s IQ {iq_id[:80]!r} got {len(replies)} replies"


async def open_arena(stack: DevStack, connect, room: str, desk: str, logged: Collected) -> Arena:
    visitor = await connect()
    await visitor.join(room, "Alice")
    agent = await connect("jennie")
    await on_desk(agent, desk, "Jennie")
    await agent.join(room, "Jennie")
    john = await connect("john")
    await on_desk(john, desk, "John")
    await john.join(room, "John")
    await agent.expect(presence_from(f"{room}/John"))
    agent2 = await connect("jennie")
    await agent2.join(room, "Jennie")
    outsider = await connect()
    other = f"chat-{secrets.token_hex(12)}other@{stack.info.service}"
    clients = {
        "visitor": visitor,
        "agent": agent,
        "agent2": agent2,
        "supervisor": john,
        "outsider": outsider,
    }
    return Arena(stack, room, other, clients, logged)


LIMIT_REACHED = ("wait/resource-constraint", "modify/policy-violation", "cancel/policy-violation")


def last_self_presence(client: Client, room: str) -> ET.Element | None:
    for s in reversed(client.xmpp.stanzas):
        if (
            s.tag == q("presence")
            and (s.get("from") or "").split("/")[0] == room
            and "110" in codes(s)
        ):
            return s
    return None


async def assert_in_or_out(arena: Arena, who: str) -> None:
    """What the client was told about itself matches the room, and speaking
    either works or gets a clean refusal."""
    client = arena.clients[who]
    room = arena.room
    state = state_of(arena.stack, room)
    inside = state is not None and client.jid in state.nick_of_session
    told = last_self_presence(client, room)
    told_inside = told is not None and told.get("type") != "unavailable"
    assert inside == told_inside, f"{who}: in the room {inside}, told {told_inside}"
    probe = f"probe-{who}-{secrets.token_hex(4)}"
    client.send(
        f"<message to='{room}' type='groupchat' id='{probe}'><body>{probe}</body></message>"
    )
    answer = await client.expect(lambda s: s.get("id") == probe, what=f"{who}'s probe")
    if inside and answer.get("type") == "error":
        # A limit reached by the flood before (rate, archive size) is a clean answer.
        assert error_condition(answer) in LIMIT_REACHED, ET.tostring(answer)[:1000]
    elif inside:
        assert answer.get("type") == "groupchat" and answer.findtext(q("body")) == probe, (
            f"{who} is in the room but cannot speak: {ET.tostring(answer)[:1000]!r}"
        )
    else:
        assert error_condition(answer) == "modify/not-acceptable", ET.tostring(answer)[:1000]


async def assert_a_chat_works(connect, stack: DevStack) -> None:
    room = f"chat-{secrets.token_hex(12)}control@{stack.info.service}"
    visitor = await connect()
    got = await visitor.join(room, "Carol")
    assert "110" in codes(got[0]) and is_subject(got[-1])
    agent = await connect("jennie")
    got = await agent.join(room, "Jennie")
    assert is_subject(got[-1])
    visitor.send(f"<message to='{room}' type='groupchat'><body>still there?</body></message>")
    await agent.expect(groupchat_from(f"{room}/Carol (visitor)", "still there?"))
    agent.send(f"<message to='{room}' type='groupchat'><body>yes</body></message>")
    await visitor.expect(groupchat_from(f"{room}/Jennie", "yes"))


# Room for hypothesis to shrink a failure to its smallest form on the live stack.
@pytest.mark.timeout(300)
async def test_generated_stanzas_break_nothing(stack, connect, room, desk, logged_errors):
    arena = await open_arena(stack, connect, room, desk, logged_errors)
    loop = asyncio.get_running_loop()

    # Hypothesis drives a synchronous test; each example runs on the session's
    # event loop, where the component and the clients live, while this
    # coroutine waits for the thread.
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )
    @given(scenario())
    def example(steps: list[tuple[str, str]]) -> None:
        played = asyncio.run_coroutine_threadsafe(arena.play(steps), loop)
        try:
            played.result(timeout=60)
        except TimeoutError:
            played.cancel()  # not left running into the next example
            raise

    try:
        with unthrottled(stack):
            await asyncio.to_thread(example)
        for who in arena.clients:
            await assert_in_or_out(arena, who)
        assert_whole_service(stack)
        await assert_a_chat_works(connect, stack)
        await arena.round_trip()
        assert not logged_errors.records, logged_errors.describe()
        assert arena.sent >= EXAMPLES // 2  # the generated stanzas were really sent
    finally:
        await close_all_chats(stack)


def assert_whole_service(stack: DevStack) -> None:
    assert stack.huddle is not None and stack.huddle.muc is not None
    for room in stack.huddle.muc.rooms.rooms.values():
        assert_whole(room.state)


# --- known crashers (issue 9) -----------------------------------------------------------


async def test_a_thousand_chained_corrections_break_nothing(stack, connect, room, logged_errors):
    visitor = await connect()
    await visitor.join(room, "Alice")
    agent = await connect("jennie")
    await agent.join(room, "Jennie")
    me = f"{room}/Alice (visitor)"
    with unthrottled(stack):
        visitor.send(f"<message to='{room}' type='groupchat' id='c0'><body>v0</body></message>")
        for n in range(1, 1001):
            visitor.send(
                f"<message to='{room}' type='groupchat' id='c{n}'><body>v{n}</body>"
                f"<replace xmlns='{NS_CORRECT}' id='c{n - 1}'/></message>"
            )
        # Later corrections still reach everyone, each correcting the last.
        for n in range(1001, 1004):
            visitor.send(
                f"<message to='{room}' type='groupchat' id='c{n}'><body>v{n}</body>"
                f"<replace xmlns='{NS_CORRECT}' id='c{n - 1}'/></message>"
            )
            mine = await visitor.expect(lambda s, n=n: s.get("id") == f"c{n}", timeout=30)
            assert mine.get("type") == "groupchat", ET.tostring(mine)[:1000]
            got = await agent.expect(groupchat_from(me, f"v{n}"))
            assert got.find(q("replace", NS_CORRECT)).get("id") == f"c{n - 1}"
        # And staff can still come in: John joins (hidden) and gets the room.
        john = await connect("john")
        got = await john.join(room, "John")
        mine = [s for s in got if s.tag == q("presence") and "110" in codes(s)]
        assert mine and mine[0].get("type") is None and is_subject(got[-1])
        state = state_of(stack, room)
        assert state is not None and john.jid in state.nick_of_session
        assert_whole(state)
    for client in (visitor, agent, john):
        assert "internal-server-error" not in client.raw
    assert not logged_errors.records, logged_errors.describe()


@pytest.mark.parametrize(
    "history",
    [
        f"<history seconds='{'4' * 401}'/>",
        f"<history seconds='-{'4' * 401}'/>",
        f"<history maxstanzas='{'4' * 401}'/>",
        f"<history maxchars='{'4' * 401}' seconds='{'9' * 30}'/>",
        "<history since='99999-01-01T00:00:00Z'/>",
        "<history since='0001-01-01T00:00:00+14:00' seconds='-5'/>",
    ],
)
async def test_a_join_with_absurd_history_limits_is_a_normal_join(
    stack, connect, room, desk, logged_errors, history
):
    agent = await connect("jennie")
    await on_desk(agent, desk, "Jennie")
    visitor = await connect()
    got = await visitor.join(room, "Alice", history=history)
    assert "110" in codes(got[0]) and got[0].get("type") is None, ET.tostring(got[0])
    assert is_subject(got[-1]), ET.tostring(got[-1])
    # The chat was opened: announced on the desk.
    await agent.expect(desk_notice(desk, "New chat"))
    visitor.send(f"<message to='{room}' type='groupchat'><body>hello</body></message>")
    await visitor.expect(groupchat_from(f"{room}/Alice (visitor)", "hello"))
    # Staff asking the same of a room with history get a normal join too.
    got = await agent.join(room, "Jennie", history=history)
    assert any("110" in codes(s) for s in got) and is_subject(got[-1]), ET.tostring(got[-1])
    for client in (visitor, agent):
        assert "internal-server-error" not in client.raw
    assert not logged_errors.records, logged_errors.describe()


# --- found by the fuzzer ---------------------------------------------------------------


async def test_an_address_prosody_passes_but_slixmpp_cannot_parse_gets_jid_malformed(
    connect, room, logged_errors
):
    """U+2064 (invisible plus) and U+A4C7 are unassigned in the Unicode version of
    stringprep: Prosody 0.12 lets them through in a nick, slixmpp refuses to
    parse the address. Each stanza gets a plain jid-malformed, from the address
    it was sent to, and the visitor stays in the room."""
    visitor = await connect()
    await visitor.join(room, "Alice")
    odd = f"{room}/\u2064"
    visitor.send(f"<message to='{odd}' type='chat' id='m1'><body>hi</body></message>")
    visitor.send(f"<iq to='{odd}' type='get' id='i1'>{PING}</iq>")
    visitor.send(f"<presence to='{room}/\ua4c7' id='p1'/>")
    for stanza_id, sent_to in (("m1", odd), ("i1", odd), ("p1", f"{room}/\ua4c7")):
        got = await visitor.expect(lambda s, i=stanza_id: s.get("id") == i)
        assert error_condition(got) == "modify/jid-malformed", ET.tostring(got)
        assert got.get("from") == sent_to
    visitor.send(f"<message to='{room}' type='groupchat'><body>still here</body></message>")
    await visitor.expect(groupchat_from(f"{room}/Alice (visitor)", "still here"))
    assert "internal-server-error" not in visitor.raw
    assert not logged_errors.records, logged_errors.describe()
