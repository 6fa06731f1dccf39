"""Room traffic written straight to the wire: the fan-out hot path.

Building a stanza with slixmpp's objects and serialising it costs about 50 µs;
writing the same XML as a string costs a few. A groupchat message is the same
stanza for every recipient but its ``to`` (the whisper mark depends on the
message, the occupant-id on its sender), so it is written once and stamped per
recipient. Presence differs per viewer (real JIDs and hats for staff only) and
is written per recipient, still as a string.

What is written here must equal what ``views.Views`` builds with slixmpp: the
views are the reference, and tests/component/test_wire.py compares the two,
effect by effect. Elements come in the same order as there.
"""

from __future__ import annotations

import re

from component.muc.content import (
    NS_CHATSTATES,
    NS_CORRECT,
    NS_MARKERS,
    NS_OOB,
    NS_REACTIONS,
    NS_SID,
    Content,
)
from component.muc.views import (
    HAT_TITLES,
    HIDDEN_MARK,
    NS_DELAY,
    NS_HATS,
    NS_OCCUPANT_ID,
    NS_USER,
    SERVICE_HAT,
    SERVICE_STATUS,
    affiliation_of,
    staff_mark,
)
from roles.effects import PresenceOut, Said
from roles.nicks import SERVICE_NICK
from roles.visibility import sees_real_jids

# Characters XML 1.0 cannot carry at all, not even escaped. What we send comes
# from parsed XML, where they cannot occur; but one slipping through (a restored
# row, a bug) would make Prosody close the component's stream, and with it
# every chat, so they are dropped.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text(value: str) -> str:
    """``value`` escaped as character data."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if _FORBIDDEN.search(value):
        value = _FORBIDDEN.sub("", value)
    return value


def attr(value: str) -> str:
    """``value`` escaped for an attribute in double quotes.

    Tabs and line breaks are written as character references: a parser turns
    literal ones in an attribute into spaces (XML 1.0 §3.3.3), and an id must
    come back to its sender exactly as it was sent.
    """
    value = text(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\n" in value or "\r" in value or "\t" in value:
        value = value.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return value


def stamp(name: str, to: str, rest: str) -> str:
    """One recipient's stanza: ``rest`` is everything after the ``to`` attribute."""
    return f'<{name} to="{attr(to)}"{rest}'


def said(room_jid: str, said: Said, occupant_id: str, delay: str | None = None) -> str:
    """A groupchat message, less its ``to``; ``delay`` stamps it as history."""
    content: Content = said.payload
    out = [f' from="{attr(room_jid)}/{attr(said.sender.nick)}" type="groupchat"']
    if content.id:
        out.append(f' id="{attr(content.id)}"')
    out.append(">")
    body = content.body
    if body is not None:
        if said.staff_only:
            body = staff_mark(said) + body
        out.append(f"<body>{text(body)}</body>")
    if content.oob_url:
        out.append(f'<x xmlns="{NS_OOB}"><url>{text(content.oob_url)}</url></x>')
    if content.chat_state:
        out.append(f'<{content.chat_state} xmlns="{NS_CHATSTATES}" />')
    if content.replaces:
        out.append(f'<replace xmlns="{NS_CORRECT}" id="{attr(content.replaces)}" />')
    if content.reactions_to:
        out.append(f'<reactions xmlns="{NS_REACTIONS}" id="{attr(content.reactions_to)}"')
        if content.reactions:
            out.append(">")
            out.extend(f"<reaction>{text(emoji)}</reaction>" for emoji in content.reactions)
            out.append("</reactions>")
        else:
            out.append(" />")
    if content.marker and content.marks:
        out.append(f'<{content.marker} xmlns="{NS_MARKERS}" id="{attr(content.marks)}" />')
    if content.markable:
        out.append(f'<markable xmlns="{NS_MARKERS}" />')
    if content.origin_id:
        out.append(f'<origin-id xmlns="{NS_SID}" id="{attr(content.origin_id)}" />')
    room = attr(room_jid)
    if said.stanza_id:
        out.append(f'<stanza-id xmlns="{NS_SID}" id="{attr(said.stanza_id)}" by="{room}" />')
    out.append(f'<occupant-id xmlns="{NS_OCCUPANT_ID}" id="{attr(occupant_id)}" />')
    if delay is not None:
        out.append(f'<delay xmlns="{NS_DELAY}" stamp="{delay}" from="{room}" />')
    out.append("</message>")
    return "".join(out)


def presence(room_jid: str, effect: PresenceOut, occupant_id: str) -> str:
    """One viewer's presence of one occupant, whole."""
    occupant = effect.occupant
    viewer = effect.viewer
    session = effect.session
    out = [f'<presence to="{attr(effect.to)}" from="{attr(room_jid)}/{attr(occupant.nick)}"']
    if effect.id:
        out.append(f' id="{attr(effect.id)}"')
    if session is None:
        out.append(' type="unavailable">')
        if effect.status:
            out.append(f"<status>{text(effect.status)}</status>")
    else:
        out.append(">")
        if session.show:
            out.append(f"<show>{session.show}</show>")
        status = session.status or ""
        if occupant.hidden and viewer.is_staff:
            status = f"{status} ({HIDDEN_MARK})" if status else HIDDEN_MARK.capitalize()
        if status:
            out.append(f"<status>{text(status)}</status>")
    affiliation, role = affiliation_of(occupant)
    out.append(f'<x xmlns="{NS_USER}"><item affiliation="{affiliation}"')
    out.append(f' role="{role if session is not None else "none"}"')
    if session is not None and (sees_real_jids(viewer) or viewer.jid == occupant.jid):
        out.append(f' jid="{attr(session.jid)}"')
    if effect.new_nick:
        out.append(f' nick="{attr(effect.new_nick)}"')
    out.append(" />")
    if effect.destroyed:
        if effect.status:
            out.append(f"<destroy><reason>{text(effect.status)}</reason></destroy>")
        else:
            out.append("<destroy />")
    out.extend(f'<status code="{code}" />' for code in sorted(effect.codes))
    out.append("</x>")
    if session is not None and occupant.is_staff and viewer.is_staff:
        # XEP-0317 hats tell staff who is who; visitors get none (LEAKS #22).
        title = HAT_TITLES[occupant.role] + (" (hidden)" if occupant.hidden else "")
        out.append(
            f'<hats xmlns="{NS_HATS}"><hat title="{attr(title)}"'
            f' uri="urn:huddle:hat:{occupant.role}" /></hats>'
        )
    out.append(f'<occupant-id xmlns="{NS_OCCUPANT_ID}" id="{attr(occupant_id)}" /></presence>')
    return "".join(out)


def service_presence(room_jid: str, to: str, occupant_id: str) -> str:
    """The service occupant, for a staff session entering the room."""
    return (
        f'<presence to="{attr(to)}" from="{attr(room_jid)}/{attr(SERVICE_NICK)}">'
        f"<status>{text(SERVICE_STATUS)}</status>"
        f'<x xmlns="{NS_USER}"><item affiliation="owner" role="moderator" /></x>'
        f'<hats xmlns="{NS_HATS}"><hat title="Support service" uri="{SERVICE_HAT}" /></hats>'
        f'<occupant-id xmlns="{NS_OCCUPANT_ID}" id="{attr(occupant_id)}" /></presence>'
    )


NS_PUBSUB_EVENT = "http://jabber.org/protocol/pubsub#event"
NS_JSON = "urn:xmpp:json:0"


def pubsub_item(service: str, node: str, item_id: str, json_text: str) -> str:
    """A pubsub notification message, less its ``to``."""
    return (
        f' from="{attr(service)}" type="headline">'
        f'<event xmlns="{NS_PUBSUB_EVENT}"><items node="{attr(node)}">'
        f'<item id="{attr(item_id)}"><json xmlns="{NS_JSON}">{text(json_text)}</json></item>'
        "</items></event></message>"
    )
