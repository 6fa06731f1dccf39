"""XEP-0313 message archive management on chat rooms, with XEP-0059 paging.

Served from SQLite one page at a time: the archive reads the page's rows and
counts them from an index, for the viewer's view (``roles.archive``): a visitor
never gets a whisper or anything a hidden person said, and counts, first and
last are computed after filtering (LEAKS #14). Only occupants of the room and
staff who may enter it can query; to anyone else every chat, open, closed or
never made, is one that does not exist (LEAKS #32). Results leave through the
door.
"""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree as ET

from slixmpp import Iq

from component.addressing import Target
from component.iq_router import IqRouter
from component.muc.disco import known_room
from component.muc.recorder import said_from_rows
from component.muc.rooms import Room
from component.muc.service import MucService
from roles.archive import MAX_PAGE, NO_SUCH_MESSAGE, PageRequest, page_size, visitor_view
from roles.model import Occupant
from roles.refusal import Refused
from roles.visibility import hears_said
from storage.archive import Archive, UnknownId, Window

NS_MAM = "urn:xmpp:mam:2"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_DATA = "jabber:x:data"
FIELDS = ("start", "end", "before-id", "after-id")
# Echoed on every result: a client's own label, not a payload.
MAX_QUERYID = 256


def _stamp(value: str, field: str) -> float:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError, OSError):
        # The value is not echoed: it is the client's, of any length.
        raise Refused("bad-request", f"{field}: not a date and time.", "modify") from None


def _max(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise Refused("bad-request", "RSM max must be a number.", "modify") from None


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
                raise Refused("bad-request", f"Unsupported filter field {var[:64]!r}.", "modify")
    rsm = query.find(f"{{{NS_RSM}}}set")
    after = values.get("after-id")
    before = values.get("before-id")
    limit = MAX_PAGE
    if rsm is not None:
        text = rsm.findtext(f"{{{NS_RSM}}}max")
        if text is not None:
            limit = _max(text)
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
    async def reader(iq: Iq, target: Target) -> tuple[Room, Occupant]:
        known = await known_room(muc, iq["from"], target.room)
        if known.occupant is not None:
            return known.room, known.occupant
        person = known.person
        assert person is not None  # known_room lets in only occupants and staff
        if known.room.chat is not None:
            known.room.chat.may_enter(person.jid, person.role)
        return known.room, Occupant("", person.jid, person.role, person.name)

    async def query(iq: Iq, target: Target) -> Iq:
        room, viewer = await reader(iq, target)
        element = iq.xml.find(f"{{{NS_MAM}}}query")
        assert element is not None
        queryid = element.get("queryid") or None
        if queryid is not None and len(queryid) > MAX_QUERYID:
            raise Refused("bad-request", "The queryid is too long.", "modify")
        request = parse_request(element)
        window = Window(
            target.room,
            visitor_view(viewer),
            request.start,
            request.end,
            request.after,
            request.before,
            page_size(request),
        )
        try:
            found = await archive.page(window)
        except UnknownId:
            raise Refused("item-not-found", NO_SUCH_MESSAGE) from None
        # The view was chosen by the policy; asking it again per item keeps the
        # door's promise even if a stored flag were ever wrong.
        items = [said for said in said_from_rows(found.rows) if hears_said(viewer, said)]
        muc.door.archive(room.views, str(iq["from"]), items, queryid)
        reply = iq.reply(clear=True)
        fin = ET.SubElement(
            reply.xml, f"{{{NS_MAM}}}fin", complete="true" if found.complete else "false"
        )
        rsm = ET.SubElement(fin, f"{{{NS_RSM}}}set")
        if items:
            first = ET.SubElement(rsm, f"{{{NS_RSM}}}first", index=str(found.first_index))
            first.text = items[0].stanza_id
            ET.SubElement(rsm, f"{{{NS_RSM}}}last").text = items[-1].stanza_id
        ET.SubElement(rsm, f"{{{NS_RSM}}}count").text = str(found.count)
        return reply

    async def fields(iq: Iq, target: Target) -> Iq:
        await reader(iq, target)
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
