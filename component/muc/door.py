"""The one door out: every stanza to an occupant leaves through ``Door.deliver``.

The room core has already asked ``roles.visibility`` whether each recipient may
see each event (DESIGN §4, invariant 1); here each effect becomes one stanza for
one recipient and is sent. No handler sends room traffic any other way.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from xml.etree import ElementTree as ET

from slixmpp import Message
from slixmpp.basexmpp import BaseXMPP
from slixmpp.xmlstream import tostring

from component.muc.history import HistoryRequest, select_history
from component.muc.views import Views
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
        send = self.xmpp.send
        for effect in effects:
            if isinstance(effect, MessageOut):
                send(views.message(effect))
            elif isinstance(effect, PresenceOut):
                if effect.entering and effect.viewer.is_staff:
                    # With the others, before the joiner's own presence (XEP-0045 §7.2.3).
                    send(views.service_presence(effect.to))
                send(views.presence(effect))
            elif isinstance(effect, HistoryOut):
                for msg in self._history(views, effect, history or HistoryRequest()):
                    send(msg)
            elif isinstance(effect, SubjectOut):
                send(views.subject(effect))
            elif isinstance(effect, NoticeOut):
                send(views.notice(effect))
            elif isinstance(effect, PrivateOut):
                send(views.private(effect))

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

    def _history(self, views: Views, effect: HistoryOut, request: HistoryRequest) -> list[Message]:
        built: dict[str, Message] = {}

        def build(said: Said) -> Message:
            if said.stanza_id not in built:
                built[said.stanza_id] = views.history_message(effect.to, said)
            return built[said.stanza_id]

        def size(said: Said) -> int:
            return len(tostring(build(said).xml))

        chosen = select_history(effect.entries, request, time.time(), size)
        return [build(said) for said in chosen]
