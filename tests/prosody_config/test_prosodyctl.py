"""``prosodyctl check``, offline, on what ``huddle prosody-config`` prints: the config
as an admin installs it, and the certificates it finds (self-signed stand-ins for
certbot's, valid for the three names)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from component.dev.certs import ensure_certificate
from tests.prosody_config.deployment import (
    DOMAIN,
    STAFF_UPLOAD,
    VISITOR_UPLOAD,
    generate_config,
    prepare,
)

pytestmark = pytest.mark.integration


async def prosodyctl_check(config: Path, what: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        "prosodyctl", "--config", str(config), "check", what,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, output.decode(errors="replace")


@pytest.fixture
def etc_prosody() -> Iterator[Path]:
    """A stand-in for /etc/prosody that the prosody user can read: run as root,
    prosodyctl switches to that user before reading a config without
    run_as_root, and pytest's own temporary folders are private to root."""
    folder = Path(tempfile.mkdtemp(prefix="huddle-etc-prosody-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize(
    "options",
    [
        (),
        (
            "--service", "chat.example.org", "--visitor-domain", "anon.example.org",
            "--component-port", "5999", "--widget-origin", "https://www.example.org",
            "--widget-origin", "https://shop.example.org:8443", "--secret-env", "CHAT_SECRET",
            "--www-dir", "/srv/widget", "--web-host", "live.example.org", "--reverse-proxy",
            "--trusted-proxy", "198.51.100.7", "--trusted-proxy", "2001:db8::/64",
        ),
    ],
    ids=["defaults", "every-option"],
)  # fmt: skip
async def test_prosodyctl_check_config_accepts_the_generated_config(etc_prosody, options):
    config = etc_prosody / "prosody.cfg.lua"
    await generate_config(config, *options)
    config.chmod(0o644)
    # The folder `certificates = "certs"` names, so its absence is not logged.
    (etc_prosody / "certs").mkdir()
    code, output = await prosodyctl_check(config, "config")
    assert code == 0, output
    assert "All checks passed" in output, output


async def test_mod_firewall_compiles_the_generated_fence(etc_prosody):
    config = etc_prosody / "prosody.cfg.lua"
    await generate_config(config)
    rules = etc_prosody / "visitor-fence.pfw"
    process = await asyncio.create_subprocess_exec(
        "prosodyctl", "--config", str(config), "mod_firewall", str(rules),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    assert "Chain preroute" in text and "Chain deliver" in text, text


async def test_prosodyctl_check_certs_finds_one_certificate_for_all_five_names(tmp_path):
    deployment = await prepare(tmp_path / "state")
    code, output = await prosodyctl_check(deployment.prosody.write_config(), "certs")
    assert code == 0, output
    for host in (DOMAIN, f"guest.{DOMAIN}", f"support.{DOMAIN}", STAFF_UPLOAD, VISITOR_UPLOAD):
        assert f"Checking certificate for {host}" in output, output


async def test_prosodyctl_check_certs_names_a_host_the_certificate_misses(tmp_path):
    deployment = await prepare(tmp_path / "state")
    # Replace the certificate with one for the staff domain only.
    for path in (deployment.certificate.cert, deployment.certificate.key):
        path.unlink()
    ensure_certificate(deployment.certificate.cert.parent, DOMAIN)
    code, output = await prosodyctl_check(deployment.prosody.write_config(), "certs")
    assert code != 0, output
    assert f"Not valid for client connections to guest.{DOMAIN}" in output, output
