"""XEP-0030 service discovery for the service, its rooms and occupants.

Features are declared here, beside the handlers, so what is advertised cannot
drift from what is served. Counts and lists are computed per viewer: a visitor
counts only whom they can see (LEAKS #4, #5); rooms list no occupants to anyone.
IQs to occupant JIDs are never forwarded to the real person, and every nick
gets the same answer (LEAKS #7).

A chat is known only to its occupants and to staff (the desk only to staff).
Anyone else gets one answer about every chat, whether it is open, closed or was
never made, so that asking reveals nothing (LEAKS #32).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from slixmpp import JID, Iq
from slixmpp.plugins.xep_0004 import Form
from slixmpp.plugins.xep_0030.stanza import DiscoInfo, DiscoItems
from slixmpp.xmlstream import register_stanza_plugin

from component.addressing import Target
from component.iq_router import IqRouter
from component.muc.ping import NS_PING
from component.muc.rooms import Room
from component.muc.service import MucService, Person
from roles.model import Occupant, Role
from roles.nicks import staff_nick
from roles.refusal import Refused
from roles.visitor_text import quoted

NS_INFO = "http://jabber.org/protocol/disco#info"
NS_ITEMS = "http://jabber.org/protocol/disco#items"
NS_MUC = "http://jabber.org/protocol/muc"

SERVICE_FEATURES = (NS_INFO, NS_ITEMS, NS_MUC, NS_PING)
RESERVED_NICK = "x-roomuser-item"
ROOM_FEATURES = (
    NS_INFO,
    NS_MUC,
    "muc_hidden",
    "muc_semianonymous",
    "muc_temporary",
    "muc_unmoderated",
    "muc_unsecured",
    "urn:xmpp:sid:0",
    "urn:xmpp:occupant-id:0",
    "http://jabber.org/protocol/muc#self-ping-optimization",
    NS_PING,
    "urn:xmpp:mam:2",
    "urn:xmpp:mam:2#extended",
)

register_stanza_plugin(Iq, DiscoInfo)
register_stanza_plugin(Iq, DiscoItems)
register_stanza_plugin(DiscoInfo, Form)


class ServiceNodes(Protocol):
    """Disco nodes at the service JID that another feature serves (XEP-0050's
    command list), and the features it adds to the service. Each answers for the
    requester, True if it knows the node."""

    features: tuple[str, ...]

    async def node_info(self, node: str, requester: JID, info: DiscoInfo) -> bool: ...

    async def node_items(
        self, node: str, requester: JID, items: DiscoItems, at: str = ""
    ) -> bool: ...


def register(
    router: IqRouter,
    muc: MucService,
    nodes: ServiceNodes | None = None,
    features: Callable[[], Iterable[str]] = tuple,
) -> None:
    """``features``: what other modules serve at the service, asked on every
    disco#info, since what they offer may depend on the configuration."""

    async def service_info(iq: Iq, target: Target) -> Iq:
        reply = iq.reply(clear=True)
        info = reply["disco_info"]
        if node := iq["disco_info"]["node"]:
            info["node"] = node
            if nodes is None or not await nodes.node_info(node, iq["from"], info):
                raise Refused("item-not-found", "No such node.")
            return reply
        info.add_identity("conference", "text", "Huddle support chats")
        for feature in (*SERVICE_FEATURES, *(nodes.features if nodes else ()), *features()):
            info.add_feature(feature)
        return reply

    async def service_items(iq: Iq, target: Target) -> Iq:
        reply = iq.reply(clear=True)
        items = reply["disco_items"]
        if node := iq["disco_items"]["node"]:
            items["node"] = node
            if nodes is None or not await nodes.node_items(node, iq["from"], items):
                raise Refused("item-not-found", "No such node.")
            return reply
        person = await muc.person(iq["from"])
        if person is not None and person.role != "visitor":
            for local, room in sorted(muc.rooms.rooms.items()):
                items.add_item(muc.room_jid(local), name=room_name(room, staff=True))
        return reply

    async def room_info(iq: Iq, target: Target) -> Iq:
        if iq["disco_info"]["node"]:
            return await room_node_info(iq, target)
        known = await known_room(muc, iq["from"], target.room)
        room, role = known.room, known.role
        state = room.state
        count = state.count_for(role)
        reply = iq.reply(clear=True)
        info = reply["disco_info"]
        name = room_name(room, staff=role != "visitor")
        info.add_identity("conference", "text", name)
        for feature in ROOM_FEATURES:
            info.add_feature(feature)
        if role != "visitor" and nodes is not None:
            for feature in nodes.features:  # commands at the room's address, for staff
                info.add_feature(feature)
        form = info["form"]
        form["type"] = "result"
        form.add_field("FORM_TYPE", "hidden", value="http://jabber.org/protocol/muc#roominfo")
        form.add_field("muc#roomconfig_roomname", value=name)
        form.add_field("muc#roominfo_occupants", value=str(count))
        form.add_field("muc#roominfo_subject", value=state.subject)
        return reply

    async def room_items(iq: Iq, target: Target) -> Iq:
        known = await known_room(muc, iq["from"], target.room)
        if node := iq["disco_items"]["node"]:
            # The commands, for staff, at the room's own address.
            reply = iq.reply(clear=True)
            items = reply["disco_items"]
            items["node"] = node
            staff = known.role != "visitor"
            at = muc.room_jid(target.room)
            if (
                not staff
                or nodes is None
                or not await nodes.node_items(node, iq["from"], items, at)
            ):
                raise Refused("item-not-found", "No such node.")
            return reply
        return _empty_items(iq)

    async def room_node_info(iq: Iq, target: Target) -> Iq:
        known = await known_room(muc, iq["from"], target.room)
        reply = iq.reply(clear=True)
        info = reply["disco_info"]
        node = iq["disco_info"]["node"]
        info["node"] = node
        staff = known.role != "visitor"
        if staff and node == RESERVED_NICK and known.person is not None:
            # XEP-0045 §7.12: the nick staff will get, so that a client that asks
            # (Converse.js) joins with it and is not told it was changed.
            person = known.person
            state = known.room.state
            present = state.person(person.jid)
            nick = present.nick if present else staff_nick(person.name, person.jid, state.occupants)
            info.add_identity("conference", "text", nick)
            return reply
        if not staff or nodes is None or not await nodes.node_info(node, iq["from"], info):
            raise Refused("item-not-found", "No such node.")
        return reply

    async def occupant(iq: Iq, target: Target) -> Iq:
        raise Refused("service-unavailable", "", "cancel")

    router.register("get", NS_INFO, ("service",), service_info)
    router.register("get", NS_ITEMS, ("service",), service_items)
    router.register("get", NS_INFO, ("room",), room_info)
    router.register("get", NS_ITEMS, ("room",), room_items)
    router.register("get", NS_INFO, ("occupant",), occupant)
    router.register("get", NS_ITEMS, ("occupant",), occupant)


def no_such_chat() -> Refused:
    """The one answer about a chat to whoever may not know it exists (LEAKS #32)."""
    return Refused("item-not-found", "There is no such chat.")


@dataclass(frozen=True, slots=True)
class KnownRoom:
    room: Room
    occupant: Occupant | None  # the requester, if in the room
    person: Person | None  # who the requester is, if anyone

    @property
    def role(self) -> Role:
        if self.occupant is not None:
            return self.occupant.role
        assert self.person is not None
        return self.person.role


async def known_room(muc: MucService, requester: JID, local: str) -> KnownRoom:
    """The room ``local`` if ``requester`` may know it exists: an occupant, or staff.
    Everyone else is refused the same way, whether the chat is open, closed or
    unknown: the same checks in the same order, the same error."""
    person = await muc.person(requester)
    room = muc.rooms.get(local)
    if room is None:
        raise no_such_chat()
    state = room.state
    occupant = state.occupant_of(str(requester)) or state.person(requester.bare)
    if occupant is None and (person is None or person.role == "visitor"):
        raise no_such_chat()
    return KnownRoom(room, occupant, person)


def room_name(room: Room, staff: bool) -> str:
    """Staff tell their rooms apart by visitor and id; a visitor sees a plain name."""
    if room.chat is None:
        return "Staff desk"
    if not staff:
        return "Support chat"
    # Marked as the visitor's words, like everything else staff read of them.
    who = quoted(room.chat.visitor_name, 64) if room.chat.visitor_name else "a visitor"
    return f"Chat with {who} [{room.local.removeprefix('chat-')[:8]}]"


def _empty_items(iq: Iq) -> Iq:
    reply = iq.reply(clear=True)
    reply.enable("disco_items")
    return reply
