"""The chat a visitor's request names, as the service knows it now."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from slixmpp import Iq

from component.muc.chat_rows import chat_row
from component.muc.disco import no_such_chat
from component.muc.service import MucService
from roles.refusal import Refused
from storage.chats import ChatRow, ChatStore

MAX_CHAT_ID = 140  # "chat-" and at most 128 characters, and some


def payload(iq: Iq, tag: str) -> ET.Element:
    found = iq.xml.find(tag)
    assert found is not None  # the router matched on its namespace
    return found


async def requested_chat(muc: MucService, store: ChatStore, iq: Iq, request: ET.Element) -> ChatRow:
    """The chat named by the request's ``chat`` attribute: ``forbidden`` unless
    the requester is on a visitor domain, ``item-not-found`` if there is none.

    An open chat is read from its room (the database may be a moment behind it),
    a closed one from the database."""
    if iq["from"].domain not in muc.config.visitor_domains:
        raise Refused("forbidden", "Only visitors ask this of the service.", "auth")
    chat_id = request.get("chat", "")
    room = muc.rooms.get(chat_id)
    if room is not None and room.chat is not None:
        return chat_row(room.chat)
    row = await store.get(chat_id) if 0 < len(chat_id) <= MAX_CHAT_ID else None
    if row is None:
        raise no_such_chat()
    return row
