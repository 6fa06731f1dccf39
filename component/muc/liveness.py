"""After (re)connecting to Prosody, drop occupant sessions that no longer exist.

When Prosody restarts, every client session dies without the component being
told; when the component restarts, its restored sessions may have left in the
meantime. Each session is pinged (XEP-0199) from its occupant JID: a server
answers for a resource that is gone (``service-unavailable`` and the like, or
no answer at all), a live client answers itself. Gone sessions leave the room
as if they had sent unavailable presence, so a returning visitor with a new
anonymous JID finds the visitor seat free.

COMPAT: a client without XEP-0199 answers ``service-unavailable`` too and is
dropped; every client Huddle supports implements ping.
"""

from __future__ import annotations

import asyncio
import logging

from slixmpp import Iq
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.plugins.xep_0199.stanza import Ping
from slixmpp.xmlstream import register_stanza_plugin

from component.errors import error_condition
from component.muc.rooms import Room
from component.muc.service import MucService

register_stanza_plugin(Iq, Ping)
log = logging.getLogger(__name__)
PING_TIMEOUT = 10.0
GONE = {
    "service-unavailable",
    "item-not-found",
    "recipient-unavailable",
    "remote-server-not-found",
    "remote-server-timeout",
    "gone",
}


async def _alive(muc: MucService, room: Room, session: str, nick: str) -> bool:
    iq = muc.xmpp.Iq()
    iq["type"] = "get"
    iq["to"] = session
    iq["from"] = f"{room.state.jid}/{nick}"
    iq.enable("ping")
    try:
        await iq.send(timeout=PING_TIMEOUT)
    except IqError as err:
        return error_condition(err.iq) not in GONE
    except IqTimeout:
        return False
    return True


async def prune_gone_sessions(muc: MucService) -> int:
    """Ping every session of every room at once; returns how many were gone."""
    checks = []
    for room in list(muc.rooms.rooms.values()):
        for session, nick in list(room.state.nick_of_session.items()):
            checks.append((room, session, _alive(muc, room, session, nick)))
    if not checks:
        return 0
    results = await asyncio.gather(*(check for _, _, check in checks))
    gone = 0
    for (room, session, _), alive in zip(checks, results, strict=True):
        if alive:
            continue
        async with muc.rooms.locked(room.local):
            if await muc.leave(room, session):
                gone += 1
                log.info("%s was gone from %s", session, room.state.jid)
    return gone
