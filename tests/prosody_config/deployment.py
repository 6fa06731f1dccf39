"""A production deployment as ADMIN.md describes it, on loopback in a temporary folder.

The admin's steps, each done the way the guide says, except where a test machine
cannot: the config comes from ``huddle prosody-config``; a self-signed certificate
valid for the three names stands in for certbot; ``huddle.toml`` is
``huddle.example.toml`` with only the component port changed; Prosody reads the
component secret from the environment, as systemd's EnvironmentFile gives it.
The generated config runs unchanged, Include'd by ``loopback.cfg.lua.in``, which
moves only ports, paths and logs.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import socket
import string
from dataclasses import dataclass
from pathlib import Path

from component.dev.certs import Certificate, ensure_certificate
from component.dev.ports import LOOPBACK, DevPorts, find_free_ports
from component.dev.prosody import ProsodyServer
from tests.integration.client import TIMEOUT, Client, Recorder
from tests.lifecycle.processes import REPO, huddle

DOMAIN = "example.org"
SERVICE = f"support.{DOMAIN}"
VISITORS = f"guest.{DOMAIN}"
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


def certificate(state_dir: Path) -> Certificate:
    """One certificate for all five names, in the folder the config's
    ``certificates = "certs"`` points at (relative to the config file)."""
    return ensure_certificate(
        state_dir / "certs", DOMAIN, alt_names=(VISITORS, SERVICE, STAFF_UPLOAD, VISITOR_UPLOAD)
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


async def prepare(state_dir: Path) -> Deployment:
    """Everything up to starting Prosody: config, certificate, huddle.toml."""
    state_dir.mkdir(parents=True, exist_ok=True)
    await generate_config(state_dir / "production.cfg.lua", "--widget-origin", WIDGET_ORIGIN)
    cert = certificate(state_dir)
    secret = secrets.token_urlsafe(24)
    # ProsodyServer knows three ports; the direct TLS one is filled in first.
    direct_tls_port = free_port()
    template = state_dir / "loopback.cfg.lua.in"
    template.write_text(
        string.Template(LOOPBACK_TEMPLATE.read_text()).safe_substitute(
            direct_tls_port=direct_tls_port
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
    return Deployment(state_dir, prosody, cert, toml, secret, direct_tls_port)


def tls_client(
    deployment: Deployment, jid: str, password: str = "", resource: str = "test"
) -> Recorder:
    """A recorded client, not yet connected, that will log in over STARTTLS,
    trusting only the deployment's certificate and checking the name on it."""
    if password:
        xmpp = Recorder(f"{jid}/{resource}", password)
    else:
        xmpp = Recorder(jid, "", sasl_mech="ANONYMOUS")
    # Recorder is set up for the dev server's plaintext loopback; undo that.
    xmpp.enable_starttls = True
    xmpp.enable_plaintext = False
    xmpp.plugin["feature_mechanisms"].unencrypted_plain = False
    xmpp.ca_certs = deployment.certificate.cert
    return xmpp


async def tls_login(
    deployment: Deployment, jid: str, password: str = "", resource: str = "test"
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
