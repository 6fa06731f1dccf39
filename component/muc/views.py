"""Building one stanza for one recipient from an effect of the room core.

Each builder starts from nothing and adds what this viewer may see: real JIDs
only for staff, the room's own stanza-id and occupant-id, never a copy of what
a client sent.

Groupchat messages, history and occupant presence leave as strings written by
``wire``; the builders here for them (``message``, ``history_message``,
``presence``, ``service_presence``) are the reference that ``wire`` is tested against.
"""

from __future__ import annotations

import time
from xml.etree import ElementTree as ET

from slixmpp import Message, Presence
from slixmpp.basexmpp import BaseXMPP

from component.muc.content import NS_SID, Content, write_content
from component.muc.occupant_id import OccupantIds
from roles.coaching import draft_mark
from roles.effects import MessageOut, NoticeOut, PresenceOut, PrivateOut, Said, SubjectOut
from roles.model import Occupant
from roles.nicks import SERVICE_NICK
from roles.visibility import sees_real_jids

NS_USER = "http://jabber.org/protocol/muc#user"
NS_OCCUPANT_ID = "urn:xmpp:occupant-id:0"
NS_DELAY = "urn:xmpp:delay"
NS_HATS = "urn:xmpp:hats:0"
NS_MAM = "urn:xmpp:mam:2"
NS_COMPONENT = "jabber:component:accept"
NS_CLIENT = "jabber:client"
NS_FORWARD = "urn:xmpp:forward:0"
HAT_TITLES = {"agent": "Agent", "supervisor": "Supervisor", "admin": "Admin"}
HIDDEN_MARK = "hidden from the visitor"
WHISPER_MARK = "[whisper] "


def staff_mark(said: Said) -> str:
    """What marks a staff-only message for staff: a whisper, or a draft awaiting approval."""
    return draft_mark(said.draft) if said.draft else WHISPER_MARK


SERVICE_STATUS = "Notices and commands of the support service; the visitor never sees it"
SERVICE_HAT = "urn:huddle:hat:service"
STAFF_SUBJECT = "A support chat. !help lists the staff commands; the visitor never sees them."


def affiliation_of(occupant: Occupant) -> tuple[str, str]:
    """Staff are admins and moderators; a hidden one is shown to staff as a member.

    COMPAT: Dino shows no status text and no hats, only the occupant list
    grouped by affiliation: "Member" is how its users tell who is hidden.
    Visitors never get a hidden occupant's presence at all.
    """
    if not occupant.is_staff:
        return ("none", "participant")
    return ("member", "moderator") if occupant.hidden else ("admin", "moderator")


def timestamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class Views:
    def __init__(self, xmpp: BaseXMPP, room_jid: str, ids: OccupantIds) -> None:
        self.xmpp = xmpp
        self.room_jid = room_jid
        self.ids = ids

    def presence(self, effect: PresenceOut) -> Presence:
        occupant = effect.occupant
        pres = self.xmpp.Presence()
        pres["to"] = effect.to
        pres["from"] = f"{self.room_jid}/{occupant.nick}"
        if effect.id:
            pres["id"] = effect.id
        session = effect.session
        if session is None:
            pres["type"] = "unavailable"
            if effect.status:
                pres["status"] = effect.status
        else:
            if session.show:
                pres["show"] = session.show
            status = session.status or ""
            if occupant.hidden and effect.viewer.is_staff:
                status = f"{status} ({HIDDEN_MARK})" if status else HIDDEN_MARK.capitalize()
            if status:
                pres["status"] = status
        x = ET.Element(f"{{{NS_USER}}}x")
        affiliation, role = affiliation_of(occupant)
        item = ET.SubElement(x, f"{{{NS_USER}}}item", affiliation=affiliation)
        item.set("role", role if session is not None else "none")
        if session is not None and (
            sees_real_jids(effect.viewer) or effect.viewer.jid == occupant.jid
        ):
            item.set("jid", session.jid)
        if effect.new_nick:
            item.set("nick", effect.new_nick)
        if effect.destroyed:
            destroy = ET.SubElement(x, f"{{{NS_USER}}}destroy")
            if effect.status:
                ET.SubElement(destroy, f"{{{NS_USER}}}reason").text = effect.status
        for code in sorted(effect.codes):
            ET.SubElement(x, f"{{{NS_USER}}}status", code=str(code))
        pres.append(x)
        if session is not None and occupant.is_staff and effect.viewer.is_staff:
            # XEP-0317 hats tell staff who is who; visitors get none (LEAKS #22).
            title = HAT_TITLES[occupant.role] + (" (hidden)" if occupant.hidden else "")
            hats = ET.SubElement(pres.xml, f"{{{NS_HATS}}}hats")
            ET.SubElement(
                hats, f"{{{NS_HATS}}}hat", title=title, uri=f"urn:huddle:hat:{occupant.role}"
            )
        pres.append(self._occupant_id(occupant))
        return pres

    def message(self, effect: MessageOut) -> Message:
        return self._said(effect.to, effect.said)

    def history_message(self, to: str, said: Said) -> Message:
        msg = self._said(to, said)
        stamp = {"stamp": timestamp(said.stamp), "from": self.room_jid}
        ET.SubElement(msg.xml, f"{{{NS_DELAY}}}delay", stamp)
        return msg

    def archived(self, to: str, said: Said, queryid: str | None) -> Message:
        """XEP-0313 result: the message as this viewer would have received it,
        forwarded with its time."""
        outer = self.xmpp.Message()
        outer["to"] = to
        outer["from"] = self.room_jid
        result = ET.SubElement(outer.xml, f"{{{NS_MAM}}}result", id=said.stanza_id)
        if queryid:
            result.set("queryid", queryid)
        forwarded = ET.SubElement(result, f"{{{NS_FORWARD}}}forwarded")
        stamp = {"stamp": timestamp(said.stamp)}
        ET.SubElement(forwarded, f"{{{NS_DELAY}}}delay", stamp)
        inner = self._said(to, said).xml
        del inner.attrib["to"]
        # A forwarded stanza is a client stanza (XEP-0297), not a component one.
        for element in inner.iter():
            if element.tag.startswith(f"{{{NS_COMPONENT}}}"):
                element.tag = f"{{{NS_CLIENT}}}" + element.tag.partition("}")[2]
        forwarded.append(inner)
        return outer

    def service_presence(self, to: str) -> Presence:
        """The service occupant, for a staff session entering the room."""
        pres = self.xmpp.Presence()
        pres["to"] = to
        pres["from"] = f"{self.room_jid}/{SERVICE_NICK}"
        pres["status"] = SERVICE_STATUS
        x = ET.SubElement(pres.xml, f"{{{NS_USER}}}x")
        ET.SubElement(x, f"{{{NS_USER}}}item", affiliation="owner", role="moderator")
        hats = ET.SubElement(pres.xml, f"{{{NS_HATS}}}hats")
        ET.SubElement(hats, f"{{{NS_HATS}}}hat", title="Support service", uri=SERVICE_HAT)
        ET.SubElement(pres.xml, f"{{{NS_OCCUPANT_ID}}}occupant-id", id=self.service_id())
        return pres

    def subject(self, effect: SubjectOut) -> Message:
        msg = self.xmpp.Message()
        msg["to"] = effect.to
        # Never a person's nick: it could be a hidden one (LEAKS #20).
        msg["from"] = self._service_voice(effect.viewer)
        msg["type"] = "groupchat"
        subject = effect.subject
        if effect.viewer.is_staff:
            # COMPAT: Gajim shows every room's subject in a box on joining (an
            # empty one reads "Changed by Unknown"); Converse.js announces one
            # from a nick as just set unless it carries a delay.
            subject = subject or STAFF_SUBJECT
            stamp = {"stamp": timestamp(time.time()), "from": self.room_jid}
            ET.SubElement(msg.xml, f"{{{NS_DELAY}}}delay", stamp)
        ET.SubElement(msg.xml, f"{{{msg.namespace}}}subject").text = subject
        return msg

    def notice(self, effect: NoticeOut) -> Message:
        msg = self.xmpp.Message()
        msg["to"] = effect.to
        # Staff hear the room through its service occupant, whom visitors never
        # see (LEAKS #30): for them the room itself speaks.
        msg["from"] = self._service_voice(effect.viewer)
        msg["type"] = "groupchat"
        ET.SubElement(msg.xml, f"{{{msg.namespace}}}body").text = effect.text
        return msg

    def private(self, effect: PrivateOut) -> Message:
        content: Content = effect.payload
        msg = self.xmpp.Message()
        msg["to"] = effect.to
        msg["from"] = f"{self.room_jid}/{effect.sender.nick}"
        msg["type"] = "chat"
        if content.id:
            msg["id"] = content.id
        write_content(msg.xml, msg.namespace, content, content.body)
        ET.SubElement(msg.xml, f"{{{NS_USER}}}x")
        return msg

    def _said(self, to: str, said: Said) -> Message:
        content: Content = said.payload
        msg = self.xmpp.Message()
        msg["to"] = to
        msg["from"] = f"{self.room_jid}/{said.sender.nick}"
        msg["type"] = "groupchat"
        if content.id:
            msg["id"] = content.id
        body = content.body
        if body is not None and said.staff_only:
            body = staff_mark(said) + body
        write_content(msg.xml, msg.namespace, content, body)
        if said.stanza_id:
            ET.SubElement(msg.xml, f"{{{NS_SID}}}stanza-id", id=said.stanza_id, by=self.room_jid)
        msg.append(self._occupant_id(said.sender))
        return msg

    def _service_voice(self, viewer: Occupant) -> str:
        return f"{self.room_jid}/{SERVICE_NICK}" if viewer.is_staff else self.room_jid

    def service_id(self) -> str:
        return self.ids.of(self.room_jid.partition("@")[2], self.room_jid)

    def occupant_id(self, occupant: Occupant) -> str:
        return self.ids.of(occupant.jid, self.room_jid)

    def _occupant_id(self, occupant: Occupant) -> ET.Element:
        return ET.Element(f"{{{NS_OCCUPANT_ID}}}occupant-id", id=self.occupant_id(occupant))
