"""Files shared in chats: a slot from the real Prosody's XEP-0363 upload service
(one for visitors, one for staff), the file PUT to it over HTTP, its URL shared
in the chat with XEP-0066 out-of-band data; the other side gets the message with
its OOB element, live, in history and in the archive, and fetches the file.
What the visitor may not see of it is in test_leaks_files.py."""

from __future__ import annotations

import secrets
from xml.etree import ElementTree as ET

import pytest

from component.dev.prosody import STAFF_UPLOADS, VISITOR_UPLOADS
from component.muc.content import MAX_URL_CHARS
from tests.integration.client import error_condition, groupchat_from, presence_from, q
from tests.integration.files import (
    MIB,
    UPLOAD,
    ask_slot,
    file_from,
    file_message,
    http_call,
    oob_url,
    slot_of,
    upload,
)
from tests.integration.test_mam import query

pytestmark = pytest.mark.integration
DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
PNG = b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(3000)


async def chat(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    agent = await connect("jennie")
    await agent.join(room, "Jennie")
    await visitor.expect(presence_from(f"{room}/Jennie"), what="Jennie arriving")
    return visitor, agent


def max_file_size(info: ET.Element) -> int:
    (value,) = [
        field.findtext("{jabber:x:data}value")
        for field in info.iter("{jabber:x:data}field")
        if field.get("var") == "max-file-size"
    ]
    return int(value or 0)


async def test_a_visitor_finds_its_upload_service_as_clients_do(connect, stack):
    visitor = await connect()
    items = await visitor.iq(stack.info.visitor_domain, f"<query xmlns='{DISCO_ITEMS}'/>")
    found = [item.get("jid") for item in items.iter(q("item", DISCO_ITEMS))]
    assert found == [stack.info.visitor_upload]
    info = await visitor.iq(stack.info.visitor_upload, f"<query xmlns='{DISCO_INFO}'/>")
    assert UPLOAD in [f.get("var") for f in info.iter(q("feature", DISCO_INFO))]
    assert max_file_size(info) == VISITOR_UPLOADS.file_mib * MIB


async def test_the_visitors_file_reaches_the_agent_who_fetches_it(connect, room, stack):
    visitor, agent = await chat(connect, room)
    url = await upload(visitor, stack.info.visitor_upload, PNG, "receipt.png")
    assert url.startswith(f"http://{stack.info.visitor_upload}:")
    visitor.send(file_message(room, url, "f1"))
    sender = f"{room}/Alice (visitor)"
    got = await agent.expect(file_from(sender, url), what="the visitor's file")
    assert got.findtext(q("body")) == url
    assert got.find(q("stanza-id", "urn:xmpp:sid:0")) is not None
    mine = await visitor.expect(file_from(sender, url), what="the file reflected")
    assert mine.get("id") == "f1"
    fetched = await http_call("GET", url)
    assert (fetched.status, fetched.body) == (200, PNG)
    assert fetched.headers["content-type"] == "image/png"


async def test_the_agents_file_reaches_the_visitor_who_fetches_it(connect, room, stack):
    visitor, agent = await chat(connect, room)
    data = b"%PDF-1.4\n" + secrets.token_bytes(2000)
    url = await upload(agent, stack.info.staff_upload, data, "terms.pdf", "application/pdf")
    agent.send(file_message(room, url))
    got = await visitor.expect(file_from(f"{room}/Jennie", url), what="Jennie's file")
    assert got.findtext(q("body")) == url
    fetched = await http_call("GET", url)
    assert (fetched.status, fetched.body) == (200, data)


async def test_a_file_without_a_body_arrives_with_its_link_as_body(connect, room, stack):
    visitor, agent = await chat(connect, room)
    url = await upload(visitor, stack.info.visitor_upload, PNG)
    visitor.send(
        f"<message to='{room}' type='groupchat'><x xmlns='jabber:x:oob'><url>{url}</url>"
        "<desc>a photo</desc></x></message>"
    )
    got = await agent.expect(file_from(f"{room}/Alice (visitor)", url))
    assert got.findtext(q("body")) == url
    assert "a photo" not in agent.raw


async def test_shared_files_are_in_history_and_the_archive(connect, room, stack):
    visitor, agent = await chat(connect, room)
    url = await upload(visitor, stack.info.visitor_upload, PNG)
    visitor.send(file_message(room, url))
    await agent.expect(file_from(f"{room}/Alice (visitor)", url))
    admin = await connect("admin")
    history = await admin.join(room, "Admin")
    assert [oob_url(s) for s in history if s.find(q("body")) is not None] == [url]
    _, results = await query(visitor, room)
    assert [oob_url(r.find(".//" + q("message"))) for r in results] == [url]


@pytest.mark.parametrize(
    ("url", "condition"),
    [
        ("ftp://files.example.org/a.png", "modify/not-acceptable"),
        ("javascript:alert(1)", "modify/not-acceptable"),
        ("https://files.example.org/" + "a" * MAX_URL_CHARS, "modify/policy-violation"),
    ],
    ids=["ftp", "javascript", "too-long"],
)
async def test_a_bad_link_is_refused_and_nothing_is_kept(connect, room, url, condition):
    visitor, agent = await chat(connect, room)
    visitor.send(file_message(room, url, "bad", body="look"))
    refused = await visitor.expect(lambda s: s.get("id") == "bad", what="the error")
    assert error_condition(refused) == condition
    visitor.send(f"<message to='{room}' type='groupchat'><body>after</body></message>")
    await agent.expect(groupchat_from(f"{room}/Alice (visitor)", "after"))
    assert url not in agent.raw and "look" not in agent.raw
    _, results = await query(agent, room)
    assert [r.findtext(f".//{q('message')}/{q('body')}") for r in results] == ["after"]


async def test_a_visitors_link_elsewhere_arrives_as_text_only(connect, room, stack):
    """Out of band, staff clients would fetch it by themselves, hidden ones too."""
    visitor, agent = await chat(connect, room)
    for url in ("https://tracker.example.net/pixel.png", f"http://{stack.info.staff_upload}/x"):
        visitor.send(file_message(room, url))
        got = await agent.expect(groupchat_from(f"{room}/Alice (visitor)", url))
        assert oob_url(got) is None
    assert "jabber:x:oob" not in agent.raw


async def test_visitors_get_smaller_files_than_staff(connect, stack):
    visitor = await connect()
    jennie = await connect("jennie")
    too_big = VISITOR_UPLOADS.file_mib * MIB + 1
    refused = await ask_slot(visitor, stack.info.visitor_upload, "big.png", too_big)
    assert error_condition(refused) == "modify/not-acceptable"
    limit = refused.findtext(f".//{q('file-too-large', UPLOAD)}/{q('max-file-size', UPLOAD)}")
    assert limit == str(VISITOR_UPLOADS.file_mib * MIB)
    # What is too big for a visitor is not for staff, up to theirs.
    slot_of(await ask_slot(jennie, stack.info.staff_upload, "big.png", too_big))
    refused = await ask_slot(
        jennie, stack.info.staff_upload, "huge.png", STAFF_UPLOADS.file_mib * MIB + 1
    )
    assert error_condition(refused) == "modify/not-acceptable"


async def test_a_visitors_daily_quota_runs_out(connect, stack):
    visitor = await connect()
    service = stack.info.visitor_upload
    largest = VISITOR_UPLOADS.file_mib * MIB
    # Each slot counts, used or not.
    for n in range(VISITOR_UPLOADS.daily_mib // VISITOR_UPLOADS.file_mib):
        slot_of(await ask_slot(visitor, service, f"part{n}.png", largest))
    refused = await ask_slot(visitor, service, "one-more.png", 1)
    assert error_condition(refused) == "wait/resource-constraint"
    # A new visitor session is a new account, with a quota of its own.
    slot_of(await ask_slot(await connect(), service, "fresh.png", 1))


async def test_staff_cannot_upload_to_the_visitors_service(connect, stack):
    jennie = await connect("jennie")
    refused = await ask_slot(jennie, stack.info.visitor_upload, "a.png", 10)
    assert error_condition(refused) == "auth/forbidden"
