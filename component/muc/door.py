"""The one door out: every stanza to an occupant leaves through ``Door.deliver``.

The room core has already asked ``roles.visibility`` whether each recipient may
see each event (DESIGN §4, invariant 1); here each effect becomes one stanza for
one recipient and is sent. No handler sends room traffic any other way.

Messages, history and occupant presence, the bulk of the traffic, go out as
strings from ``wire`` (a message is written once and stamped per recipient);
the rarer stanzas are built with slixmpp's objects. Both kinds go through
``xmpp.send``, whose one queue keeps them in the order they were sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from xml.etree import ElementTree as ET

from slixmpp import Message
from slixmpp.basexmpp import BaseXMPP

from component.muc import wire
from component.muc.history import HistoryRequest, select_history
from component.muc.views import Views, timestamp
from roles.effects import (
    Effect,
    HistoryOut,
    MessageOut,
    NoticeOut,
    PresenceOut,
    PrivateOut,
    Said,
    SubjectOut,
)

NS_CONFERENCE = "jabber:x:conference"


class Door:
    def __init__(self, xmpp: BaseXMPP) -> None:
        self.xmpp = xmpp

    def deliver(
        self,
        views: Views,
        effects: Iterable[Effect],
        history: HistoryRequest | None = None,
    ) -> None:
        room_jid = views.room_jid
        # Stanzas written as strings go out together, one queue item and one
        # socket write per delivery instead of one per stanza; a stanza built by
        # slixmpp first flushes what is pending, so the order on the wire holds.
        pending: list[str] = []
        send = pending.append

        def send_built(stanza: Message) -> None:
            flush()
            self.xmpp.send(stanza)

        def flush() -> None:
            if pending:
                self.xmpp.send("".join(pending))
                pending.clear()

        # A message's recipients come one after another: written once, for the
        # first of them, then stamped with each one's address.
        written: Said | None = None
        rest = ""
        for effect in effects:
            if isinstance(effect, MessageOut):
                if effect.said is not written:
                    written = effect.said
                    rest = wire.said(room_jid, written, views.occupant_id(written.sender))
                send(wire.stamp("message", effect.to, rest))
            elif isinstance(effect, PresenceOut):
                if effect.entering and effect.viewer.is_staff:
                    # With the others, before the joiner's own presence (XEP-0045 §7.2.3).
                    send(wire.service_presence(room_jid, effect.to, views.service_id()))
                send(wire.presence(room_jid, effect, views.occupant_id(effect.occupant)))
            elif isinstance(effect, HistoryOut):
                pending.extend(self._history(views, effect, history or HistoryRequest()))
            elif isinstance(effect, SubjectOut):
                send_built(views.subject(effect))
            elif isinstance(effect, NoticeOut):
                send_built(views.notice(effect))
            elif isinstance(effect, PrivateOut):
                send_built(views.private(effect))
        flush()

    def archive(self, views: Views, to: str, items: Iterable[Said], queryid: str | None) -> None:
        """Archive results for one requester, already filtered for them."""
        for said in items:
            self.xmpp.send(views.archived(to, said, queryid))

    def invite(self, to: str, room_jid: str, reason: str) -> None:
        """A XEP-0249 direct invitation, of type normal, from the service's domain.

        COMPAT: the one form every staff client presents as an invitation. Gajim
        and Conversations drop one from a room (the desk), Gajim one of type
        groupchat or chat; Converse.js knows no mediated invitations. No body:
        Dino, Converse.js and poezio would show it as a second, stray message.
        The desk's announcement, with its join link, is the plain-text fallback.
        """
        msg = self.xmpp.Message()
        msg["to"] = to
        msg["from"] = self.xmpp.boundjid.bare
        msg["type"] = "normal"
        ET.SubElement(msg.xml, f"{{{NS_CONFERENCE}}}x", {"jid": room_jid, "reason": reason})
        self.xmpp.send(msg)

    def pubsub_item(self, to: Iterable[str], node: str, item_id: str, json_text: str) -> None:
        """A XEP-0060 notification of one item, its payload a XEP-0335 JSON
        container, from the service to each of ``to``; headline, so that a
        notification to a session that is gone is dropped, never stored offline."""
        rest = wire.pubsub_item(self.xmpp.boundjid.bare, node, item_id, json_text)
        stanzas = [wire.stamp("message", jid, rest) for jid in to]
        if stanzas:
            self.xmpp.send("".join(stanzas))

    def _history(self, views: Views, effect: HistoryOut, request: HistoryRequest) -> list[str]:
        built: dict[str, str] = {}

        def build(said: Said) -> str:
            if said.stanza_id not in built:
                delay = timestamp(said.stamp)
                rest = wire.said(views.room_jid, said, views.occupant_id(said.sender), delay)
                built[said.stanza_id] = wire.stamp("message", effect.to, rest)
            return built[said.stanza_id]

        chosen = select_history(effect.entries, request, time.time(), lambda said: len(build(said)))
        return [build(said) for said in chosen]
