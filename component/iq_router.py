"""Every IQ get/set gets exactly one reply.

Handlers register by (type, payload namespace, target kind) and return the
reply; what nobody registered is answered ``service-unavailable`` (RFC 6120
§8.4), or ``feature-not-implemented`` for namespaces we know but do not serve.
A handler that returns without a reply is a bug, answered with an error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from slixmpp import Iq

from component.addressing import Target, target_of
from component.errors import send_error, send_refusal
from roles.refusal import Refused

log = logging.getLogger(__name__)
IqHandler = Callable[[Iq, Target], Awaitable[Iq]]
Key = tuple[str, str, str]


class IqRouter:
    def __init__(
        self,
        service: str,
        known: frozenset[str] = frozenset(),
        room_lock: Callable[[str], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        self.service = service
        self.known = known
        self.routes: dict[Key, IqHandler] = {}
        self.unordered: set[Key] = set()
        # IQs to a room or occupant wait their turn behind the room's other
        # stanzas: a disco or ping right after a join must see the joined room.
        self.room_lock = room_lock

    def register(
        self,
        iq_type: str,
        namespace: str,
        kinds: tuple[str, ...],
        handler: IqHandler,
        ordered: bool = True,
    ) -> None:
        """``ordered=False``: the handler takes the locks it needs itself (ad-hoc
        commands lock the chat they act on, which may be the room addressed)."""
        for kind in kinds:
            self.routes[(iq_type, namespace, kind)] = handler
            if not ordered:
                self.unordered.add((iq_type, namespace, kind))

    async def dispatch(self, iq: Iq) -> None:
        if iq["type"] not in ("get", "set"):
            return
        payload = list(iq.xml)
        if len(payload) != 1:
            send_error(iq, "bad-request", "An IQ carries exactly one payload.", "modify")
            return
        namespace = payload[0].tag.partition("}")[0].lstrip("{")
        target = target_of(iq["to"], self.service)
        handler = self.routes.get((iq["type"], namespace, target.kind))
        if handler is None:
            known = namespace in self.known or any(k[1] == namespace for k in self.routes)
            condition = "feature-not-implemented" if known else "service-unavailable"
            send_error(iq, condition, "", "cancel")
            return
        try:
            key = (iq["type"], namespace, target.kind)
            if (
                self.room_lock is not None
                and target.kind in ("room", "occupant")
                and key not in self.unordered
            ):
                async with self.room_lock(target.room):
                    reply = await handler(iq, target)
            else:
                reply = await handler(iq, target)
        except Refused as refused:
            send_refusal(iq, refused)
        except Exception:
            log.exception("IQ handler failed on %s", iq)
            send_error(iq, "internal-server-error", "", "wait")
        else:
            reply.send()
