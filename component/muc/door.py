"""The one door out: every stanza to an occupant leaves through ``Door.deliver``.

The room core has already asked ``roles.visibility`` whether each recipient may
see each event (DESIGN §4, invariant 1); here each effect becomes one stanza for
one recipient and is sent. No handler sends room traffic any other way.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from slixmpp.basexmpp import BaseXMPP
from slixmpp.xmlstream import tostring

from component.muc.history import HistoryRequest, select_history
from component.muc.views import Views
from roles.effects import Effect, HistoryOut, MessageOut, PresenceOut, SubjectOut


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
                send(views.presence(effect))
            elif isinstance(effect, HistoryOut):
                for msg in self._history(views, effect, history or HistoryRequest()):
                    send(msg)
            elif isinstance(effect, SubjectOut):
                send(views.subject(effect))

    def _history(self, views: Views, effect: HistoryOut, request: HistoryRequest) -> list:
        built = {said.stanza_id: msg for said, msg in zip(effect.entries, views.history(effect))}
        chosen = select_history(
            effect.entries, request, time.time(), lambda s: len(tostring(built[s.stanza_id].xml))
        )
        return [built[said.stanza_id] for said in chosen]
