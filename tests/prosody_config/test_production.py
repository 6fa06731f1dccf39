"""The generated production config, running: Prosody started with it unchanged (on
loopback ports), ``huddle run`` connected with the secret Prosody read from its
environment, staff and a visitor chatting over verified TLS, plaintext refused,
BOSH's CORS limited to the widget's site, the widget page and websocket served."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import http.client
import re
import secrets
import sqlite3
import ssl
from collections.abc import AsyncIterator

import pytest

from component.dev.ports import LOOPBACK
from tests.integration.client import groupchat_from, presence_from
from tests.integration.files import file_from, file_message, http_call, upload
from tests.prosody_config.deployment import (
    DOMAIN,
    SECRET_ENV,
    SERVICE,
    STAFF_UPLOAD,
    VISITOR_UPLOAD,
    VISITORS,
    WIDGET_ORIGIN,
    Deployment,
    prepare,
    serving,
    tls_login,
)

pytestmark = pytest.mark.integration

JENNIE = f"jennie@{DOMAIN}"
JENNIE_PASSWORD = secrets.token_urlsafe(12)
WIDGET_PAGE = "<!doctype html><title>Huddle widget stand-in</title>"


@pytest.fixture(scope="module")
async def deployment(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    deployment = await prepare(tmp_path_factory.mktemp("production"))
    async with serving(deployment, {JENNIE: JENNIE_PASSWORD}):
        # The layout ADMIN.md describes: the widget in chat/ of the served folder.
        (deployment.prosody.www_dir / "chat").mkdir()
        (deployment.prosody.www_dir / "chat" / "index.html").write_text(WIDGET_PAGE)
        yield deployment


async def test_a_visitor_and_an_agent_chat_over_tls(deployment):
    room = f"chat-{secrets.token_hex(12)}@{SERVICE}"
    visitor = await tls_login(deployment, VISITORS)
    jennie = await tls_login(deployment, JENNIE, JENNIE_PASSWORD)
    try:
        assert visitor.bare.endswith(f"@{VISITORS}")
        await visitor.join(room, "Vera")
        await visitor.expect(
            lambda s: "Welcome" in "".join(s.itertext()), what="the welcome message"
        )
        await jennie.join(room, "Jennie")
        await visitor.expect(presence_from(f"{room}/Jennie"), what="Jennie arriving")
        jennie.send(f"<message to='{room}' type='groupchat'><body>Hello Vera</body></message>")
        await visitor.expect(groupchat_from(f"{room}/Jennie", "Hello Vera"))
    finally:
        await visitor.close()
        await jennie.close()


async def test_files_shared_both_ways_are_fetched_by_the_other_side(deployment):
    room = f"chat-{secrets.token_hex(12)}@{SERVICE}"
    visitor = await tls_login(deployment, VISITORS)
    jennie = await tls_login(deployment, JENNIE, JENNIE_PASSWORD)
    try:
        await visitor.join(room, "Vera")
        await jennie.join(room, "Jennie")
        await visitor.expect(presence_from(f"{room}/Jennie"), what="Jennie arriving")
        photo = secrets.token_bytes(4000)
        url = await upload(visitor, VISITOR_UPLOAD, photo, "broken.png")
        visitor.send(file_message(room, url))
        await jennie.expect(file_from(f"{room}/Vera (visitor)", url), what="the visitor's file")
        assert (await http_call("GET", url)).body == photo
        manual = secrets.token_bytes(3000)
        url = await upload(jennie, STAFF_UPLOAD, manual, "manual.pdf", "application/pdf")
        jennie.send(file_message(room, url))
        await visitor.expect(file_from(f"{room}/Jennie", url), what="Jennie's file")
        assert (await http_call("GET", url)).body == manual
    finally:
        await visitor.close()
        await jennie.close()


async def stream_features(port: int, host: str, tls: ssl.SSLContext | None = None) -> str:
    """Open a c2s stream to ``host`` (in TLS from the first byte with ``tls``)
    and return its stream features."""
    reader, writer = await asyncio.open_connection(
        LOOPBACK, port, ssl=tls, server_hostname=host if tls else None
    )
    try:
        writer.write(
            f"<?xml version='1.0'?><stream:stream to='{host}' version='1.0' "
            "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>".encode()
        )
        await writer.drain()
        received = b""
        while b"</stream:features>" not in received:
            chunk = await asyncio.wait_for(reader.read(4096), 10)
            assert chunk, f"stream closed before features: {received!r}"
            received += chunk
        return received.decode()
    finally:
        writer.close()
        await writer.wait_closed()


@pytest.mark.parametrize("host", [DOMAIN, VISITORS])
async def test_clients_must_start_tls_before_anything_else(deployment, host):
    features = await stream_features(deployment.ports.c2s, host)
    assert re.search(r"<starttls [^>]*><required/></starttls>", features), features
    # No way to authenticate (PLAIN or ANONYMOUS) before TLS.
    assert "mechanisms" not in features, features


async def test_direct_tls_clients_may_authenticate_at_once(deployment):
    """XEP-0368: TLS from the first byte on the direct TLS port, the certificate
    valid for the host; the mechanisms are offered at once."""
    tls = ssl.create_default_context(cafile=str(deployment.ca.cert))
    features = await stream_features(deployment.direct_tls_port, VISITORS, tls)
    assert "<mechanism>ANONYMOUS</mechanism>" in features, features


def http_request(
    port: int, method: str, path: str, headers: dict[str, str]
) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        # Prosody routes by Host: this reaches the staff VirtualHost, as in production.
        connection.request(method, path, headers={"Host": DOMAIN, **headers})
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("origin", "allowed"), [(WIDGET_ORIGIN, True), ("https://elsewhere.example.net", False)]
)
async def test_bosh_cors_answers_only_the_widget_site(deployment, origin, allowed):
    status, headers, _ = await asyncio.to_thread(
        http_request,
        deployment.ports.http,
        "OPTIONS",
        "/http-bind",
        {"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert status == 200
    assert headers.get("access-control-allow-origin") == (origin if allowed else None), headers


async def test_the_widget_page_is_served_at_chat(deployment):
    status, _, body = await asyncio.to_thread(
        http_request, deployment.ports.http, "GET", "/chat/", {}
    )
    assert (status, body) == (200, WIDGET_PAGE)


async def test_the_websocket_endpoint_upgrades(deployment):
    reader, writer = await asyncio.open_connection(LOOPBACK, deployment.ports.http)
    try:
        writer.write(
            "GET /xmpp-websocket HTTP/1.1\r\n"
            f"Host: {DOMAIN}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: xmpp\r\n"
            f"Origin: {WIDGET_ORIGIN}\r\n\r\n".encode()
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
        await writer.wait_closed()
    assert status_line.startswith(b"HTTP/1.1 101"), status_line


async def component_handshake(port: int, secret: str) -> str:
    """A XEP-0114 handshake with ``secret``; returns what Prosody answers."""
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    try:
        writer.write(
            f"<stream:stream xmlns='jabber:component:accept' to='{SERVICE}' "
            "xmlns:stream='http://etherx.jabber.org/streams'>".encode()
        )
        await writer.drain()
        header = b""
        while (found := re.search(rb"id=['\"]([^'\"]+)['\"]", header)) is None:
            chunk = await asyncio.wait_for(reader.read(4096), 10)
            assert chunk, header
            header += chunk
        token = hashlib.sha1(found.group(1) + secret.encode()).hexdigest()
        writer.write(f"<handshake>{token}</handshake>".encode())
        await writer.drain()
        return (await asyncio.wait_for(reader.read(4096), 10)).decode()
    finally:
        writer.close()
        await writer.wait_closed()


async def test_the_component_secret_is_read_from_the_environment(deployment):
    config = (deployment.state_dir / "production.cfg.lua").read_text()
    assert f"component_secret = ENV_{SECRET_ENV}" in config
    assert deployment.secret not in config
    # `huddle run` connected with the secret from the environment (the fixture
    # waited for it); any other secret is refused, so Prosody did read one.
    answer = await component_handshake(deployment.ports.component, "not-the-secret")
    assert "not-authorized" in answer, answer
    assert "component_secret is not set" not in deployment.prosody.log_path.read_text()


async def test_the_database_backs_up_while_huddle_runs(deployment):
    """ADMIN.md's backup command, against the live database (WAL mode, with
    ``huddle run`` connected), gives a consistent copy that holds the staff."""
    live = deployment.state_dir / "huddle.sqlite"
    copy = deployment.state_dir / "backup" / "huddle-copy.sqlite"
    copy.parent.mkdir()
    process = await asyncio.create_subprocess_exec(
        "sqlite3", str(live), f".backup {copy}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, output
    with contextlib.closing(sqlite3.connect(copy)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT jid FROM staff").fetchall() == [(JENNIE,)]
