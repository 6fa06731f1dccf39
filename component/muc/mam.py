"""XEP-0313 message archive management on chat rooms, with XEP-0059 paging.

Served from SQLite and filtered per viewer by ``roles.archive``: a visitor
never gets a whisper or anything a hidden person said, and counts, first and
last are computed after filtering (LEAKS #14). Only occupants of the room and
staff who may enter it can query. Results leave through the door.
"""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree as ET

from slixmpp import Iq

from component.addressing import Target
from component.iq_router import IqRouter
from component.muc.recorder import said_from_rows
from component.muc.service import MucService
from roles.archive import MAX_PAGE, PageRequest, page
from roles.model import Occupant
from roles.refusal import Refused
from storage.archive import Archive

NS_MAM = "urn:xmpp:mam:2"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_DATA = "jabber:x:data"
FIELDS = ("start", "end", "before-id", "after-id")


def _stamp(value: str, field: str) -> float:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise Refused("bad-request", f"{field}: not a date and time: {value!r}", "modify") from None


def parse_request(query: ET.Element) -> PageRequest:
    values: dict[str, str] = {}
    form = query.find(f"{{{NS_DATA}}}x")
    if form is not None:
        for field in form.findall(f"{{{NS_DATA}}}field"):
            var = field.get("var", "")
            value = field.findtext(f"{{{NS_DATA}}}value") or ""
            if var == "FORM_TYPE":
                if value != NS_MAM:
                    raise Refused("bad-request", f"FORM_TYPE must be {NS_MAM}", "modify")
            elif var in FIELDS:
                values[var] = value
            else:
                raise Refused("bad-request", f"Unsupported filter field {var!r}.", "modify")
    rsm = query.find(f"{{{NS_RSM}}}set")
    after = values.get("after-id")
    before = values.get("before-id")
    limit = MAX_PAGE
    if rsm is not None:
        text = rsm.findtext(f"{{{NS_RSM}}}max")
        if text is not None:
            try:
                limit = int(text)
            except ValueError:
                raise Refused("bad-request", "RSM max must be a number.", "modify") from None
        after = rsm.findtext(f"{{{NS_RSM}}}after") or after
        before_el = rsm.find(f"{{{NS_RSM}}}before")
        if before_el is not None:
            before = before_el.text or ""
    return PageRequest(
        start=_stamp(values["start"], "start") if values.get("start") else None,
        end=_stamp(values["end"], "end") if values.get("end") else None,
        after=after,
        before=before,
        max=limit,
    )


def register(router: IqRouter, muc: MucService, archive: Archive) -> None:
    async def viewer_for(iq: Iq, target: Target) -> Occupant:
        room = muc.rooms.get(target.room)
        person = await muc.person(iq["from"])
        # The desk's archive is for staff; to anyone else the desk does not exist.
        if room is None or (room.chat is None and (person is None or person.role == "visitor")):
            raise Refused("item-not-found", "There is no such chat.")
        occupant = room.state.occupant_of(str(iq["from"]))
        if occupant is not None:
            return occupant
        if person is None or person.role == "visitor":
            raise Refused("forbidden", "Only the chat's occupants may read its archive.", "auth")
        if room.chat is not None:
            room.chat.may_enter(person.jid, person.role)
        return Occupant("", person.jid, person.role, person.name)

    async def query(iq: Iq, target: Target) -> Iq:
        viewer = await viewer_for(iq, target)
        element = iq.xml.find(f"{{{NS_MAM}}}query")
        assert element is not None
        request = parse_request(element)
        entries = said_from_rows(await archive.chat(target.room))
        result = page(entries, viewer, request)
        room = muc.rooms.get(target.room)
        assert room is not None
        muc.door.archive(room.views, str(iq["from"]), result.items, element.get("queryid") or None)
        reply = iq.reply(clear=True)
        fin = ET.SubElement(
            reply.xml, f"{{{NS_MAM}}}fin", complete="true" if result.complete else "false"
        )
        rsm = ET.SubElement(fin, f"{{{NS_RSM}}}set")
        if result.items:
            first = ET.SubElement(rsm, f"{{{NS_RSM}}}first", index=str(result.first_index))
            first.text = result.items[0].stanza_id
            ET.SubElement(rsm, f"{{{NS_RSM}}}last").text = result.items[-1].stanza_id
        ET.SubElement(rsm, f"{{{NS_RSM}}}count").text = str(result.count)
        return reply

    async def fields(iq: Iq, target: Target) -> Iq:
        await viewer_for(iq, target)
        reply = iq.reply(clear=True)
        query_el = ET.SubElement(reply.xml, f"{{{NS_MAM}}}query")
        form = ET.SubElement(query_el, f"{{{NS_DATA}}}x", type="form")
        hidden = ET.SubElement(form, f"{{{NS_DATA}}}field", var="FORM_TYPE", type="hidden")
        ET.SubElement(hidden, f"{{{NS_DATA}}}value").text = NS_MAM
        for name in FIELDS:
            kind = "text-single"
            ET.SubElement(form, f"{{{NS_DATA}}}field", var=name, type=kind)
        return reply

    router.register("set", NS_MAM, ("room",), query)
    router.register("get", NS_MAM, ("room",), fields)
