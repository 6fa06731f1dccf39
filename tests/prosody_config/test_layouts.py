"""The usual topology, running: the shop's website is ``www.example.org``
somewhere else; the chat machine is ``chat.example.org``, with the production
config (``--reverse-proxy``) and certificates from an authority of the test's
own; nginx runs the shipped ``nginx-huddle.conf`` in front of Prosody and, as the
website's server, ``nginx-website.conf``. For each embed tag WIDGET.md gives,
taken from WIDGET.md as it is written, a visitor in headless Chromium opens the
shop's page, starts a chat, and Jennie, a slixmpp client on the desk, answers.

Chromium resolves every name to loopback and port 443 (and 5281) to the test's
ports (``--host-resolver-rules``); the Host header, TLS's server name and the
certificate check are a real browser's. It trusts only the test's authority,
from an NSS database in a home folder of its own.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import secrets
import shutil
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from component.dev.ports import LOOPBACK
from component.dev.web import install_pages
from tests.browser import conftest as browser_setup
from tests.browser.pages import message, saved_chat, screenshot, start_chat
from tests.integration.client import Client, groupchat_from
from tests.integration.desk_helpers import invitation_to, on_desk, say
from tests.integration.files import ask_slot, slot_of
from tests.prosody_config import nginx
from tests.prosody_config.deployment import (
    DOMAIN,
    SERVICE,
    STAFF_UPLOAD,
    VISITOR_UPLOAD,
    VISITORS,
    WEB_HOST,
    Deployment,
    free_port,
    https_request,
    prepare,
    serving,
    tls_login,
)
from tests.prosody_config.guide import WIDGET_MD, section

pytestmark = [pytest.mark.integration, pytest.mark.browser]

WEBSITE = f"www.{DOMAIN}"
DESK = f"desk@{SERVICE}"
JENNIE = f"jennie@{DOMAIN}"
JENNIE_PASSWORD = secrets.token_urlsafe(12)
# The embed tags WIDGET.md gives, by the widget's address in each.
LAYOUTS = {
    "direct": f"https://{WEB_HOST}:5281/chat/huddle-widget.js",
    "proxy": f"https://{WEB_HOST}/chat/huddle-widget.js",
    "website": f"https://{WEBSITE}/huddle/chat/huddle-widget.js",
}


def embed_tags() -> dict[str, str]:
    """WIDGET.md's embed tags, under "Embedding the widget on a website", by src."""
    text = section(WIDGET_MD.read_text(), "Embedding the widget on a website")
    tags = [b for b in re.findall(r"```html\n(.*?)```", text, re.S) if "huddle-widget.js" in b]
    by_src = {}
    for tag in tags:
        src = re.search(r'src="([^"]+)"', tag)
        assert src, tag
        by_src[src.group(1)] = tag.strip()
    return by_src


def shop_page(tag: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        "<title>Example Shop</title></head>\n<body>\n<h1>Example Shop</h1>\n"
        f"{tag}\n</body></html>\n"
    )


@dataclass(frozen=True, slots=True)
class Site:
    deployment: Deployment
    proxy: nginx.NginxServer
    webroot: Path
    nss_home: Path

    def resolver_rules(self) -> str:
        """Chromium's DNS and ports for this machine: every name is loopback, 443
        is nginx and 5281 Prosody's own HTTPS."""
        rules = [
            f"MAP {name}:443 {LOOPBACK}:{self.proxy.ports.https}"
            for name in (WEBSITE, WEB_HOST, STAFF_UPLOAD, VISITOR_UPLOAD)
        ]
        rules.append(f"MAP {WEB_HOST}:5281 {LOOPBACK}:{self.deployment.https_port}")
        # Anything else must not leave the machine.
        rules.append("MAP * ~NOTFOUND")
        return ", ".join(rules)


def certbot_live(deployment: Deployment, folder: Path) -> Path:
    """The certificate as certbot keeps it: live/<name>/fullchain.pem, privkey.pem."""
    live = folder / "live" / WEB_HOST
    live.mkdir(parents=True)
    cert = deployment.certificate
    (live / "fullchain.pem").write_bytes(cert.cert.read_bytes() + deployment.ca.cert.read_bytes())
    shutil.copy(cert.key, live / "privkey.pem")
    return live


async def start_nginx(deployment: Deployment, folder: Path, webroot: Path) -> nginx.NginxServer:
    folder.mkdir()
    ports = nginx.Ports(http=free_port(), https=free_port())
    chat = folder / "huddle.conf"
    chat.write_text(
        nginx.render_chat_conf(
            ports, certbot_live(deployment, folder / "letsencrypt"), webroot,
            deployment.ports.http,
        )
    )  # fmt: skip
    website = folder / "website-huddle.conf"
    website.write_text(nginx.render_website_conf(ports.https, deployment.ca.cert))
    # The shop's own server block (not ours to ship), with the snippet included
    # as its guide says, and a page per embed tag.
    shop_cert = deployment.ca.issue(folder / "shop", WEBSITE)
    pages = folder / "shop" / "www"
    pages.mkdir()
    for layout, src in LAYOUTS.items():
        (pages / f"{layout}.html").write_text(shop_page(embed_tags()[src]))
    shop = f"""
    server {{
        listen {LOOPBACK}:{ports.https} ssl;
        server_name {WEBSITE};
        ssl_certificate {shop_cert.cert};
        ssl_certificate_key {shop_cert.key};
        root {pages};
        include {website};
    }}"""
    config = folder / "nginx.conf"
    config.write_text(nginx.main_conf(folder, includes=[chat], servers=shop))
    server = nginx.NginxServer(folder, config, ports)
    await server.start()
    return server


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    problem = nginx.missing_requirement() or browser_setup.missing_requirement()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    state = tmp_path_factory.mktemp("layouts")
    deployment = await prepare(state / "chat", "--reverse-proxy", https=True)
    install_pages(deployment.prosody.www_dir)
    webroot = state / "webroot"
    (webroot / ".well-known" / "acme-challenge").mkdir(parents=True)
    nss_home = deployment.ca.nss_home(state / "home")
    async with serving(deployment, {JENNIE: JENNIE_PASSWORD}):
        proxy = await start_nginx(deployment, state / "nginx", webroot)
        try:
            yield Site(deployment, proxy, webroot, nss_home)
        finally:
            await proxy.stop()


@pytest.fixture(scope="module")
async def chromium(site: Site) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=browser_setup.CHROMIUM,
            args=[*browser_setup.CHROMIUM_ARGS, f"--host-resolver-rules={site.resolver_rules()}"],
            env={**os.environ, "HOME": str(site.nss_home)},
        )
        yield browser
        await browser.close()


def test_widget_md_gives_one_embed_tag_for_each_layout():
    tags = embed_tags()
    assert set(tags) == set(LAYOUTS.values()), tags
    for tag in tags.values():
        # The visitor host and the service are never the script's host's defaults here.
        assert f'data-domain="{VISITORS}"' in tag and f'data-service="{SERVICE}"' in tag, tag
    assert (
        'data-websocket="wss://www.example.org/huddle/xmpp-websocket"' in tags[LAYOUTS["website"]]
    )


@pytest.mark.parametrize("layout", list(LAYOUTS))
async def test_a_visitor_chats_through_the_embed_tag_of_each_layout(site, chromium, layout):
    deployment = site.deployment
    jennie = await tls_login(deployment, JENNIE, JENNIE_PASSWORD, resource=layout)
    context = await chromium.new_context(viewport={"width": 1280, "height": 800})
    try:
        await on_desk(jennie, DESK, "Jennie")
        page = await context.new_page()
        page.set_default_timeout(browser_setup.DEFAULT_TIMEOUT_MS)
        page.on("pageerror", lambda error: print(f"page error: {error}"))
        question = f"Where is my parcel? ({layout})"
        await start_chat(page, f"https://{WEBSITE}/{layout}.html", "Mia", question)
        await expect(message(page, question)).to_be_visible()
        room = (await saved_chat(page))["room"]
        assert room.endswith(f"@{SERVICE}"), room
        # The desk offers the chat to Jennie, who joins and reads the question.
        await jennie.expect(invitation_to(room), what=f"an invitation to {room}")
        joined = await jennie.join(room, "Jennie")
        visitor = f"{room}/Mia (visitor)"
        if not any(groupchat_from(visitor, question)(s) for s in joined):
            await jennie.expect(groupchat_from(visitor, question), what="the question")
        answer = f"Hello Mia, it is on its way ({layout})."
        say(jennie, room, answer)
        await expect(message(page, answer)).to_be_visible()
        await screenshot(page, f"layout-{layout}")
        say(jennie, room, "!close")
    finally:
        await context.close()
        await jennie.close()


async def test_prosody_serves_https_under_the_web_host_with_its_certificate(site):
    """The direct layout: Prosody's own HTTPS port answers for chat.example.org
    (http_host), with the certificate for that name; a name it does not serve is
    refused in the handshake, as chat.example.org was before it had a host."""
    deployment = site.deployment
    status, headers, body = await asyncio.to_thread(
        https_request,
        deployment.https_port,
        WEB_HOST,
        deployment.ca.cert,
        path="/chat/huddle-widget.js",
    )
    assert status == 200 and b"huddle" in body, (status, headers)
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        await asyncio.to_thread(https_request, deployment.https_port, WEBSITE, deployment.ca.cert)


async def test_files_are_shared_through_the_proxy_under_their_own_names(site):
    """Slot URLs name port 443 (http_external_url), and nginx passes uploads
    larger than its default 1 MiB on to Prosody."""
    deployment = site.deployment
    for who, service in ((JENNIE, STAFF_UPLOAD), (VISITORS, VISITOR_UPLOAD)):
        client: Client = await tls_login(
            deployment, who, JENNIE_PASSWORD if who == JENNIE else "", resource="files"
        )
        try:
            data = secrets.token_bytes(3 * 1024 * 1024)
            slot = slot_of(await ask_slot(client, service, "manual.pdf", len(data), "text/plain"))
        finally:
            await client.close()
        prefix = f"https://{service}/file_share/"
        assert slot.put.startswith(prefix) and slot.get.startswith(prefix), slot
        path = slot.put.removeprefix(f"https://{service}")
        status, _, reply = await asyncio.to_thread(
            https_request, site.proxy.ports.https, service, deployment.ca.cert, "PUT", path, data,
            {**slot.headers, "Content-Type": "text/plain"},
        )  # fmt: skip
        assert status == 201, (service, status, reply[:200])
        status, _, fetched = await asyncio.to_thread(
            https_request, site.proxy.ports.https, service, deployment.ca.cert,
            path=slot.get.removeprefix(f"https://{service}"),
        )  # fmt: skip
        assert status == 200 and fetched == data, (service, status)


def _http(port: int, name: str, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": name})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


async def test_port_80_answers_certbot_and_sends_the_rest_to_https(site):
    token = secrets.token_urlsafe(16)
    (site.webroot / ".well-known" / "acme-challenge" / token).write_text(f"{token}.key")
    port = site.proxy.ports.http
    for name in (WEB_HOST, VISITORS, STAFF_UPLOAD):
        status, _, body = await asyncio.to_thread(
            _http, port, name, f"/.well-known/acme-challenge/{token}"
        )
        assert (status, body) == (200, f"{token}.key".encode()), name
    status, headers, _ = await asyncio.to_thread(_http, port, WEB_HOST, "/chat/")
    assert (status, headers.get("location")) == (301, f"https://{WEB_HOST}/chat/")
