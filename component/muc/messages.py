"""Messages to a room: groupchat (XEP-0045 §7.4), subject (§8.1), private (§7.5).

Only occupants may speak. Each message gets the room's XEP-0359 stanza-id and
is reflected, sender included, with the sender's id and origin-id kept.
"""

from __future__ import annotations

import logging
import time
import uuid

from slixmpp import Message

from component.addressing import target_of
from component.muc.content import parse_content
from component.muc.rooms import Room
from component.muc.service import MucService
from roles.effects import Said
from roles.refusal import Refused

log = logging.getLogger(__name__)


class MessageHandler:
    def __init__(self, muc: MucService) -> None:
        self.muc = muc

    async def on_message(self, msg: Message) -> None:
        if msg["type"] == "error":
            return
        target = target_of(msg["to"], self.muc.config.service)
        if target.kind not in ("room", "occupant"):
            raise Refused("service-unavailable")
        async with self.muc.rooms.locked(target.room):
            room = self.muc.rooms.get(target.room)
            session_jid = str(msg["from"])
            sender = room.state.occupant_of(session_jid) if room is not None else None
            if room is None or sender is None:
                # The same answer whether the room exists or not.
                raise Refused("not-acceptable", "You are not in this chat.", "modify")
            if target.kind == "occupant" or msg["type"] != "groupchat":
                raise Refused("item-not-found", "There is no such occupant.")
            self._groupchat(room, session_jid, msg)

    def _groupchat(self, room: Room, session_jid: str, msg: Message) -> None:
        state = room.state
        sender = state.occupant_of(session_jid)
        assert sender is not None
        subject = msg.xml.find(f"{{{msg.namespace}}}subject")
        if subject is not None and msg.xml.find(f"{{{msg.namespace}}}body") is None:
            if not sender.is_staff:
                raise Refused("forbidden", "Only staff may change the subject.", "auth")
            self.muc.door.deliver(room.views, state.set_subject(subject.text or ""))
            return
        content = parse_content(msg)
        if content.body is None and content.chat_state is None:
            return  # nothing we reflect
        if content.body is not None and len(content.body) > self.muc.config.max_message_chars:
            raise Refused(
                "policy-violation",
                f"Messages are limited to {self.muc.config.max_message_chars} characters.",
                "modify",
            )
        stanza_id = str(uuid.uuid4()) if content.body is not None else ""
        said = Said(sender, False, time.time(), stanza_id, content)
        self.muc.door.deliver(room.views, state.say(session_jid, said))
