"""A production deployment as ADMIN.md describes it, on loopback in a temporary folder.

The admin's steps, each done the way the guide says, except where a test machine
cannot: the config comes from ``huddle prosody-config``; a certificate for the six
names from a certificate authority of the test's own stands in for certbot's
(clients trust that authority, and check the names); ``huddle.toml`` is
``huddle.example.toml`` with only the component port changed; Prosody reads the
component secret from the environment, as systemd's EnvironmentFile gives it.
The generated config runs unchanged, Include'd by ``loopback.cfg.lua.in``, which
moves only ports, paths and logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import re
import secrets
import socket
import ssl
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from component.dev.certs import Certificate
from component.dev.ports import LOOPBACK, DevPorts, find_free_ports
from component.dev.prosody import ProsodyServer
from tests.integration.client import TIMEOUT, Client, Recorder
from tests.lifecycle.processes import REPO, STARTUP_TIMEOUT, HuddleProcess, huddle
from tests.prosody_config.local_ca import LocalCA

DOMAIN = "example.org"
SERVICE = f"support.{DOMAIN}"
VISITORS = f"guest.{DOMAIN}"
# Where Prosody serves the widget, the console and the websocket (http_host).
WEB_HOST = f"chat.{DOMAIN}"
# The XEP-0363 upload services of staff and of visitors.
STAFF_UPLOAD = f"upload.{DOMAIN}"
VISITOR_UPLOAD = f"upload.{VISITORS}"
WIDGET_ORIGIN = "https://www.example.org"
SECRET_ENV = "HUDDLE_SECRET"
LOOPBACK_TEMPLATE = Path(__file__).with_name("loopback.cfg.lua.in")
EXAMPLE_TOML = REPO / "huddle.example.toml"


@dataclass(frozen=True, slots=True)
class Deployment:
    state_dir: Path
    prosody: ProsodyServer
    certificate: Certificate
    huddle_toml: Path
    secret: str
    direct_tls_port: int
    # Prosody's HTTPS port, 5281 in production; 0 unless prepare(https=True).
    https_port: int
    # The authority that signed ``certificate``: what clients trust.
    ca: LocalCA

    @property
    def ports(self) -> DevPorts:
        return self.prosody.ports

    @property
    def env(self) -> dict[str, str]:
        """What systemd's EnvironmentFile gives Prosody and ``huddle run``."""
        return {SECRET_ENV: self.secret}


async def generate_config(path: Path, *options: str) -> str:
    """Run ``huddle prosody-config`` as an admin would; returns the config."""
    code, _, err = await huddle(
        "prosody-config", "--domain", DOMAIN, *options, "--output", str(path)
    )
    assert code == 0, err
    return path.read_text()


def huddle_toml(path: Path, component_port: int) -> Path:
    """``huddle.example.toml`` for this deployment: only the port differs."""
    text, count = re.subn(
        r"(?m)^server_port = 5347$", f"server_port = {component_port}", EXAMPLE_TOML.read_text()
    )
    assert count == 1, "huddle.example.toml no longer has server_port = 5347"
    path.write_text(text)
    return path


NAMES = (DOMAIN, WEB_HOST, VISITORS, SERVICE, STAFF_UPLOAD, VISITOR_UPLOAD)


def certificate(state_dir: Path, ca: LocalCA) -> Certificate:
    """One certificate for all six names, as ``prosodyctl cert import`` leaves it
    in the folder the config's ``certificates = "certs"`` points at (relative to
    the config file)."""
    return ca.issue(state_dir / "certs", DOMAIN, NAMES[1:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


async def prepare(state_dir: Path, *options: str, https: bool = False) -> Deployment:
    """Everything up to starting Prosody: config, certificate, huddle.toml.
    ``options``: more of ``huddle prosody-config``'s, e.g. ``--reverse-proxy``;
    ``https``: Prosody's HTTPS port open (5281 in production; the upload slots'
    URLs then name it)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    await generate_config(
        state_dir / "production.cfg.lua", "--widget-origin", WIDGET_ORIGIN, *options
    )
    # Outside certs/: Prosody indexes every certificate there.
    ca = LocalCA.create(state_dir / "ca")
    cert = certificate(state_dir, ca)
    secret = secrets.token_urlsafe(24)
    # ProsodyServer knows three ports; the direct TLS and HTTPS ones are filled in first.
    direct_tls_port, https_port = free_port(), free_port() if https else 0
    template = state_dir / "loopback.cfg.lua.in"
    template.write_text(
        string.Template(LOOPBACK_TEMPLATE.read_text()).safe_substitute(
            direct_tls_port=direct_tls_port,
            https_ports=f"{{ {https_port} }}" if https else "{}",
        )
    )
    prosody = ProsodyServer(
        state_dir,
        find_free_ports(),
        # Unused by loopback.cfg.lua.in: the production config reads the environment.
        secret,
        staff_domain=DOMAIN,
        visitor_domain=VISITORS,
        service=SERVICE,
        template=template,
    )
    toml = huddle_toml(state_dir / "huddle.toml", prosody.ports.component)
    return Deployment(state_dir, prosody, cert, toml, secret, direct_tls_port, https_port, ca)


class TLSServer(Protocol):
    """What a TLS client needs of a server: its c2s port, the authority to trust."""

    @property
    def ports(self) -> DevPorts: ...

    @property
    def ca(self) -> LocalCA: ...


def tls_client(
    deployment: TLSServer, jid: str, password: str = "", resource: str = "test"
) -> Recorder:
    """A recorded client, not yet connected, that will log in over STARTTLS,
    trusting only the deployment's certificate authority and checking the name."""
    if password:
        xmpp = Recorder(f"{jid}/{resource}", password)
    else:
        xmpp = Recorder(jid, "", sasl_mech="ANONYMOUS")
    # Recorder is set up for the dev server's plaintext loopback; undo that.
    xmpp.enable_starttls = True
    xmpp.enable_plaintext = False
    xmpp.plugin["feature_mechanisms"].unencrypted_plain = False
    xmpp.ca_certs = deployment.ca.cert
    return xmpp


async def tls_login(
    deployment: TLSServer, jid: str, password: str = "", resource: str = "test"
) -> Client:
    """A recorded client logged in over STARTTLS (see ``tls_client``)."""
    xmpp = tls_client(deployment, jid, password, resource)
    started = asyncio.Event()
    xmpp.add_event_handler("session_start", lambda _: started.set())
    xmpp.connect(LOOPBACK, deployment.ports.c2s)
    try:
        await asyncio.wait_for(started.wait(), TIMEOUT)
    except TimeoutError:
        await xmpp.disconnect(wait=1.0)
        raise AssertionError(f"{jid} did not log in over TLS") from None
    return Client(xmpp)


@contextlib.asynccontextmanager
async def serving(deployment: Deployment, staff: dict[str, str]) -> AsyncIterator[None]:
    """Prosody started with the component secret in its environment (as systemd's
    EnvironmentFile gives it), ``staff`` (jid: password) registered and in the
    directory, and ``huddle run`` serving; all stopped on leaving."""
    run: HuddleProcess | None = None
    with pytest.MonkeyPatch.context() as env:
        env.setenv(SECRET_ENV, deployment.secret)
        await deployment.prosody.start()
        try:
            for jid, password in staff.items():
                user, host = jid.split("@")
                await deployment.prosody.register(user, host, password)
                code, _, err = await huddle(
                    "staff", "--config", str(deployment.huddle_toml),
                    "add", jid, "--name", user.capitalize(), env=deployment.env,
                )  # fmt: skip
                assert code == 0, err
            run = await HuddleProcess.start(
                "run", "--config", str(deployment.huddle_toml), env=deployment.env
            )
            await run.wait_for_line(f"serving {SERVICE}", "stderr", STARTUP_TIMEOUT)
            yield
        finally:
            if run is not None:
                await run.stop()
            await deployment.prosody.stop()


def https_request(
    port: int, name: str, ca: Path, method: str = "GET", path: str = "/",
    body: bytes | None = None, headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    """An HTTPS request to loopback ``port`` as a browser makes one for ``name``:
    that server name in TLS and the Host header, the certificate checked against
    ``ca`` alone. Blocking: run it in a thread."""
    context = ssl.create_default_context(cafile=str(ca))
    raw = socket.create_connection((LOOPBACK, port), timeout=30)
    with context.wrap_socket(raw, server_hostname=name) as tls:
        connection = http.client.HTTPConnection(name, timeout=30)
        connection.sock = tls
        connection.request(method, path, body=body, headers={"Host": name, **(headers or {})})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
