"""The visitor fence and connection cap of the generated production config, on a
running Prosody: the config and ``visitor-fence.pfw`` exactly as ``huddle
prosody-config --output`` writes them, clients over verified TLS. The component
is not connected: what passes the fence towards it meets Prosody's own answer
for a missing component instead of the fence's."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from xml.etree import ElementTree as ET

import pytest

from component.dev.ports import LOOPBACK
from component.prosody_config import VISITOR_LOGINS
from tests.dev.dev_clients import first_event
from tests.integration.client import Client, error_condition, presence_from, q
from tests.integration.files import ask_slot, slot_of
from tests.prosody_config.deployment import (
    DOMAIN,
    SECRET_ENV,
    SERVICE,
    STAFF_UPLOAD,
    VISITOR_UPLOAD,
    VISITORS,
    Deployment,
    prepare,
    tls_client,
    tls_login,
)

pytestmark = pytest.mark.integration

PASSWORD = secrets.token_urlsafe(12)
DISCO_INFO = "<query xmlns='http://jabber.org/protocol/disco#info'/>"
STANZA_TEXT = "{urn:ietf:params:xml:ns:xmpp-stanzas}text"


async def running(deployment: Deployment) -> Deployment:
    with pytest.MonkeyPatch.context() as env:
        # The component's secret, as systemd's EnvironmentFile gives it.
        env.setenv(SECRET_ENV, deployment.secret)
        await deployment.prosody.start()
        for user in ("jennie", "josh"):
            await deployment.prosody.register(user, DOMAIN, PASSWORD)
    return deployment


@pytest.fixture(scope="module")
async def deployment(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    deployment = await running(await prepare(tmp_path_factory.mktemp("fence")))
    try:
        yield deployment
    finally:
        await deployment.prosody.stop()


@pytest.fixture
async def clients() -> AsyncIterator[list[Client]]:
    opened: list[Client] = []
    yield opened
    for client in opened:
        await client.close()


def assert_fenced(error: ET.Element) -> None:
    assert error.get("type") == "error", ET.tostring(error)
    assert error_condition(error) == "modify/policy-violation", ET.tostring(error)
    assert "support service" in (error.findtext(f"{q('error')}/{STANZA_TEXT}") or "")


async def test_a_visitors_message_to_staff_bounces_and_is_not_delivered(deployment, clients):
    jennie = await tls_login(deployment, f"jennie@{DOMAIN}", PASSWORD)
    josh = await tls_login(deployment, f"josh@{DOMAIN}", PASSWORD)
    visitor = await tls_login(deployment, VISITORS)
    clients += [jennie, josh, visitor]
    jennie.send("<presence/>")
    await jennie.expect(presence_from(jennie.jid), what="her own presence")
    token = secrets.token_hex(6)
    visitor.send(
        f"<message to='{jennie.bare}' type='chat' id='{token}'><body>{token}</body></message>"
    )
    assert_fenced(await visitor.expect(lambda s: s.get("id") == token, what="the error"))
    # Behind anything delivered to Jennie, a colleague's message.
    josh.send(f"<message to='{jennie.bare}' type='chat'><body>control</body></message>")
    await jennie.expect(lambda s: s.findtext(q("body")) == "control", what="Josh's message")
    assert token not in jennie.raw and visitor.bare not in jennie.raw


async def test_staff_cannot_write_to_a_visitor_directly(deployment, clients):
    visitor = await tls_login(deployment, VISITORS)
    jennie = await tls_login(deployment, f"jennie@{DOMAIN}", PASSWORD)
    clients += [visitor, jennie]
    token = secrets.token_hex(6)
    jennie.send(f"<message to='{visitor.jid}' type='chat' id='{token}'><body>x</body></message>")
    assert_fenced(await jennie.expect(lambda s: s.get("id") == token, what="the error"))
    pong = await visitor.iq(VISITORS, "<ping xmlns='urn:xmpp:ping'/>")
    assert pong.get("type") == "result"
    assert token not in visitor.raw


@pytest.mark.parametrize("target", [DOMAIN, f"conference.{DOMAIN}", "example.net"])
async def test_a_visitor_reaches_no_other_host(deployment, clients, target):
    visitor = await tls_login(deployment, VISITORS)
    clients.append(visitor)
    assert_fenced(await visitor.iq(target, DISCO_INFO))


async def test_a_visitor_reaches_its_own_server_and_the_support_service(deployment, clients):
    visitor = await tls_login(deployment, VISITORS)
    clients.append(visitor)
    assert (await visitor.iq(VISITORS, DISCO_INFO)).get("type") == "result"
    # Past the fence; Prosody answers for the component that is not connected.
    reply = await visitor.iq(SERVICE, DISCO_INFO)
    assert error_condition(reply) == "wait/remote-server-timeout", ET.tostring(reply)


async def test_a_visitor_gets_upload_slots_from_its_own_upload_service_only(deployment, clients):
    visitor = await tls_login(deployment, VISITORS)
    clients.append(visitor)
    slot = slot_of(await ask_slot(visitor, VISITOR_UPLOAD, "photo.png", 1000))
    assert slot.put.startswith(f"http://{VISITOR_UPLOAD}:{deployment.ports.http}/file_share/")
    assert_fenced(await ask_slot(visitor, STAFF_UPLOAD, "photo.png", 1000))


async def test_new_visitor_connections_per_address_are_capped(tmp_path, clients):
    # A Prosody of its own: the count is per address, and the tests above share one.
    deployment = await running(await prepare(tmp_path / "state"))
    try:
        for _ in range(VISITOR_LOGINS):
            clients.append(await tls_login(deployment, VISITORS))
        refused = tls_client(deployment, VISITORS)
        clients.append(Client(refused))
        errors: list = []
        refused.add_event_handler("stream_error", errors.append)
        outcome = await first_event(
            refused,
            lambda: refused.connect(LOOPBACK, deployment.ports.c2s),
            ["session_start", "stream_error"],
        )
        assert outcome == "stream_error"
        assert errors[0]["condition"] == "policy-violation"
        # Staff log in to their own host, which counts nothing.
        clients.append(await tls_login(deployment, f"jennie@{DOMAIN}", PASSWORD))
    finally:
        for client in clients:
            await client.close()
        clients.clear()
        await deployment.prosody.stop()
