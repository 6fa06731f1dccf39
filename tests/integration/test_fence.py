"""The visitor fence, enforced by Prosody (mod_firewall on the visitor host):
visitors reach the support service and their own server (and their upload
service, for slots), nobody else, and nobody else reaches them; each refused
stanza gets a policy-violation error and is not delivered. Staff are not fenced.

"Not delivered" is shown by order: the sender's error comes back after Prosody
has decided, so a control stanza sent to the same recipient afterwards, on an
allowed path, arrives behind anything that was delivered; once it is there, the
recipient's whole record is checked.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from xml.etree import ElementTree as ET

import pytest

from tests.integration.client import (
    Client,
    codes,
    error_condition,
    groupchat_from,
    presence_from,
    q,
)

pytestmark = pytest.mark.integration
PING = "<ping xmlns='urn:xmpp:ping'/>"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
UPLOAD = "urn:xmpp:http:upload:0"
ROSTER = "jabber:iq:roster"


def marker() -> str:
    return f"fence-{secrets.token_hex(6)}"


def stanza_with_id(kind: str, stanza_id: str) -> Callable[[ET.Element], bool]:
    return lambda s: s.tag == q(kind) and s.get("id") == stanza_id


def assert_fenced(error: ET.Element) -> None:
    """The fence's answer: policy-violation, with a text a widget can show."""
    assert error.get("type") == "error", ET.tostring(error)
    assert error_condition(error) == "modify/policy-violation", ET.tostring(error)
    text = error.findtext(f"{q('error')}/{{urn:ietf:params:xml:ns:xmpp-stanzas}}text")
    assert text and "support service" in text, ET.tostring(error)


async def expect_fenced(client: Client, kind: str, stanza_id: str) -> None:
    """Waits for the fence's error to the stanza ``stanza_id`` sent by ``client``."""
    error = await client.expect(
        lambda s: stanza_with_id(kind, stanza_id)(s) and s.get("type") == "error",
        what=f"the fence's error for {stanza_id}",
    )
    assert_fenced(error)


async def available(client: Client) -> Client:
    """Sends initial presence, as staff clients do: from then on, what is addressed
    to the bare JID is delivered to this session rather than stored."""
    client.send("<presence/>")
    await client.expect(presence_from(client.jid), what="its own presence reflected")
    return client


async def control_chat(sender: Client, recipient: Client) -> None:
    """A chat message over an allowed path, awaited at the recipient."""
    body = marker()
    sender.send(f"<message to='{recipient.jid}' type='chat'><body>{body}</body></message>")
    await recipient.expect(
        lambda s: s.tag == q("message") and s.findtext(q("body")) == body,
        what="the control message",
    )


async def control_ping(client: Client) -> None:
    """A ping of the client's own server, answered on its own stream."""
    reply = await client.iq(client.xmpp.boundjid.domain, PING)
    assert reply.get("type") == "result", ET.tostring(reply)


def never_got(client: Client, sender: Client, token: str) -> None:
    """Nothing from ``sender``, and not ``token``, in anything ``client`` received."""
    froms = {s.get("from", "") for s in client.xmpp.stanzas}
    assert not [jid for jid in froms if jid.split("/")[0] == sender.bare], froms
    assert token not in client.raw
    assert sender.bare not in client.raw


# --- What a visitor sends to staff --------------------------------------------------


async def test_a_visitors_chat_message_to_staff_bounces_and_is_not_delivered(connect):
    jennie = await available(await connect("jennie"))
    josh = await connect("josh")
    visitor = await connect()
    token = marker()
    visitor.send(
        f"<message to='{jennie.bare}' type='chat' id='{token}'>"
        f"<body>Verify your password at http://phish.example/{token}</body></message>"
    )
    await expect_fenced(visitor, "message", token)
    await control_chat(josh, jennie)
    never_got(jennie, visitor, token)


async def test_a_visitors_invitation_to_staff_bounces_and_is_not_delivered(connect, stack):
    jennie = await available(await connect("jennie"))
    josh = await connect("josh")
    visitor = await connect()
    token = marker()
    room = f"chat-{secrets.token_hex(12)}@{stack.info.service}"
    visitor.send(
        f"<message to='{jennie.bare}' id='{token}'>"
        f"<x xmlns='jabber:x:conference' jid='{room}' reason='{token} urgent, join now'/>"
        "</message>"
    )
    await expect_fenced(visitor, "message", token)
    await control_chat(josh, jennie)
    never_got(jennie, visitor, token)


async def test_a_visitors_subscription_request_bounces_and_is_not_delivered(connect):
    jennie = await available(await connect("jennie"))
    josh = await connect("josh")
    visitor = await connect()
    token = marker()
    visitor.send(f"<presence to='{jennie.bare}' type='subscribe' id='{token}'/>")
    await expect_fenced(visitor, "presence", token)
    await control_chat(josh, jennie)
    never_got(jennie, visitor, token)
    assert not [s for s in jennie.xmpp.stanzas if s.get("type") == "subscribe"]


async def test_a_visitors_directed_presence_to_staff_bounces(connect):
    jennie = await available(await connect("jennie"))
    josh = await connect("josh")
    visitor = await connect()
    token = marker()
    visitor.send(f"<presence to='{jennie.jid}' id='{token}'><status>{token}</status></presence>")
    await expect_fenced(visitor, "presence", token)
    await control_chat(josh, jennie)
    never_got(jennie, visitor, token)


async def test_a_visitors_iq_to_a_staff_full_jid_bounces_and_is_not_delivered(connect):
    jennie = await available(await connect("jennie"))
    josh = await connect("josh")
    visitor = await connect()
    token = marker()
    visitor.send(
        f"<iq type='get' to='{jennie.jid}' id='{token}'><query xmlns='{DISCO_INFO}'/></iq>"
    )
    await expect_fenced(visitor, "iq", token)
    await control_chat(josh, jennie)
    never_got(jennie, visitor, token)


# --- What a visitor sends to anyone else --------------------------------------------


async def test_a_visitors_message_to_another_visitor_bounces_and_is_not_delivered(connect):
    other = await connect()
    visitor = await connect()
    token = marker()
    visitor.send(
        f"<message to='{other.jid}' type='chat' id='{token}'><body>{token}</body></message>"
    )
    await expect_fenced(visitor, "message", token)
    await control_ping(other)
    never_got(other, visitor, token)


async def test_a_visitor_cannot_join_a_room_of_prosodys_own_muc(connect, stack):
    room = f"lobby-{secrets.token_hex(6)}@{stack.prosody.muc_domain}"
    john = await connect("john")
    await john.join(room, "John")
    visitor = await connect()
    token = marker()
    (refused,) = await visitor.join(room, "Mallory", presence_id=token)
    assert refused.get("id") == token
    assert_fenced(refused)
    # A later occupant's arrival reaches John behind anything the visitor caused.
    josh = await connect("josh")
    await josh.join(room, "Josh")
    await john.expect(presence_from(f"{room}/Josh"), what="Josh joining")
    assert not [s for s in john.xmpp.stanzas if s.get("from") == f"{room}/Mallory"]
    assert "Mallory" not in john.raw


@pytest.mark.parametrize(
    "target",
    ["localhost", "muc.localhost", "upload.localhost", "someone@example.net", "example.net"],
    ids=["staff-server", "prosody-muc", "staff-uploads", "remote-user", "remote-server"],
)
async def test_a_visitors_iq_to_any_other_address_bounces(connect, target):
    visitor = await connect()
    token = marker()
    visitor.send(f"<iq type='get' to='{target}' id='{token}'><query xmlns='{DISCO_INFO}'/></iq>")
    await expect_fenced(visitor, "iq", token)


async def test_a_visitor_gets_no_upload_slot_from_the_staff_upload_service(connect, stack):
    visitor = await connect()
    token = marker()
    visitor.send(
        f"<iq type='get' to='{stack.info.staff_upload}' id='{token}'>"
        f"<request xmlns='{UPLOAD}' filename='{token}.png' size='10' content-type='image/png'/>"
        "</iq>"
    )
    await expect_fenced(visitor, "iq", token)


@pytest.mark.parametrize(
    ("kind", "stanza"),
    [
        ("iq", f"<iq type='get' id='{{id}}' to='{{to}}'><query xmlns='{DISCO_ITEMS}'/></iq>"),
        ("iq", f"<iq type='set' id='{{id}}' to='{{to}}'><request xmlns='{UPLOAD}'/></iq>"),
        ("iq", "<iq type='get' id='{id}' to='{to}'><ping xmlns='urn:xmpp:ping'/></iq>"),
        ("message", "<message id='{id}' to='{to}' type='chat'><body>hi</body></message>"),
        ("presence", "<presence id='{id}' to='{to}'/>"),
    ],
    ids=["disco-items", "upload-set", "ping", "message", "presence"],
)
async def test_a_visitors_upload_service_takes_slot_requests_and_nothing_else(
    connect, stack, kind, stanza
):
    visitor = await connect()
    service = stack.info.visitor_upload
    token = marker()
    visitor.send(stanza.format(id=token, to=service))
    await expect_fenced(visitor, kind, token)
    # What clients ask it does pass: disco#info first, then a slot.
    info = await visitor.iq(service, f"<query xmlns='{DISCO_INFO}'/>")
    assert info.get("type") == "result", ET.tostring(info)
    slot = await visitor.iq(
        service, f"<request xmlns='{UPLOAD}' filename='a.png' size='10' content-type='image/png'/>"
    )
    assert slot.find(q("slot", UPLOAD)) is not None, ET.tostring(slot)


async def test_a_visitors_message_to_another_server_bounces(connect):
    visitor = await connect()
    token = marker()
    visitor.send(
        f"<message to='someone@example.net' type='chat' id='{token}'><body>x</body></message>"
    )
    await expect_fenced(visitor, "message", token)


# --- What others send to a visitor --------------------------------------------------


async def test_staff_cannot_write_to_a_visitor_directly(connect):
    visitor = await connect()
    jennie = await connect("jennie")
    token = marker()
    jennie.send(
        f"<message to='{visitor.jid}' type='chat' id='{token}'><body>{token}</body></message>"
    )
    await expect_fenced(jennie, "message", token)
    await control_ping(visitor)
    never_got(visitor, jennie, token)


# --- What still works ---------------------------------------------------------------


async def test_a_visitor_logs_in_and_uses_its_own_server(connect):
    visitor = await connect()
    domain = visitor.xmpp.boundjid.domain
    assert domain == "guest.localhost"
    await control_ping(visitor)
    info = await visitor.iq(domain, f"<query xmlns='{DISCO_INFO}'/>")
    assert info.get("type") == "result", ET.tostring(info)
    assert info.find(f"{q('query', DISCO_INFO)}/{q('identity', DISCO_INFO)}") is not None


async def test_a_visitor_reads_its_own_roster(connect):
    visitor = await connect()
    token = marker()
    visitor.send(f"<iq type='get' id='{token}'><query xmlns='{ROSTER}'/></iq>")
    reply = await visitor.expect(stanza_with_id("iq", token), what="the roster")
    assert reply.get("type") == "result", ET.tostring(reply)


async def test_a_visitor_chats_with_an_agent_through_the_support_service(connect, room, stack):
    visitor = await connect()
    info = await visitor.iq(stack.info.service, f"<query xmlns='{DISCO_INFO}'/>")
    assert info.get("type") == "result", ET.tostring(info)
    joined = await visitor.join(room, "Vera")
    # The service picks the visitor's nick; the self-presence (110) carries it.
    me = next(s.get("from", "") for s in joined if s.tag == q("presence") and "110" in codes(s))
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    await visitor.expect(presence_from(f"{room}/Jennie"), what="the agent arriving")
    visitor.send(f"<message to='{room}' type='groupchat'><body>Where is my order?</body></message>")
    await jennie.expect(groupchat_from(me, "Where is my order?"), what="the question")
    jennie.send(f"<message to='{room}' type='groupchat'><body>On its way.</body></message>")
    await visitor.expect(groupchat_from(f"{room}/Jennie", "On its way."), what="the answer")


async def test_staff_still_write_to_each_other(connect):
    jennie = await connect("jennie")
    josh = await connect("josh")
    await control_chat(josh, jennie)
    await control_chat(jennie, josh)
    token = marker()
    josh.send(f"<presence to='{jennie.jid}' id='{token}'><status>{token}</status></presence>")
    await jennie.expect(
        lambda s: s.tag == q("presence") and s.findtext(q("status")) == token,
        what="Josh's directed presence",
    )
