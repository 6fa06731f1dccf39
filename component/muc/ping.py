"""XEP-0199 ping and XEP-0410 MUC self-ping.

slixmpp's own ping plugin would answer for every address; a MUC must answer an
occupant JID only for that occupant's own sessions. Anyone else gets the same
``not-acceptable`` whether the nick is present, hidden or absent (LEAKS #19).
"""

from __future__ import annotations

from slixmpp import Iq

from component.addressing import Target
from component.iq_router import IqRouter
from component.muc.service import MucService
from roles.refusal import Refused

NS_PING = "urn:xmpp:ping"


def register(router: IqRouter, muc: MucService) -> None:
    async def service_ping(iq: Iq, target: Target) -> Iq:
        return iq.reply(clear=True)

    async def self_ping(iq: Iq, target: Target) -> Iq:
        room = muc.rooms.get(target.room)
        session = str(iq["from"])
        if room is not None:
            nick = room.state.nick_of_session.get(session)
            if nick is not None and (target.kind == "room" or nick == target.nick):
                return iq.reply(clear=True)
        raise Refused("not-acceptable", "", "cancel")

    router.register("get", NS_PING, ("service",), service_ping)
    router.register("get", NS_PING, ("room", "occupant"), self_ping)
