"""ADMIN.md, followed: its shell commands, read from the guide as written, run on a
fresh machine standing in for a Debian 12 server, from the release's wheel to a
restored backup, each promised result checked.

The machine is a folder standing in for ``/`` (``fake_system``): the guide's paths
are moved under it and its ``huddle`` user is ``nobody``; Prosody runs as the
``prosody`` user, Huddle's service as ``nobody``, as their units say. What this
machine cannot do is stood in for, and nothing else:

- no systemd: ``systemctl`` runs the units' commands directly (Debian's
  ``prosody.service`` and the guide's drop-in, ``huddle.service``,
  ``huddle-backup.service``); ``journalctl -u`` prints their output;
- no Let's Encrypt: ``certbot certonly`` issues, for the names the guide asks,
  from a certificate authority of the test's own, which the clients trust;
- no apt-get (the packages are installed) and no ``adduser`` (the user is nobody);
- free loopback ports instead of 5222, 5223, 5280, 5281 and 5347: Prosody reads
  the guide's config Include'd by ``walkthrough.cfg.lua`` beside it, which moves
  only ports and paths, and ``huddle.toml``'s ``server_port`` follows;
- the release's wheel is built from this checkout, and the "upgrade" of section 12
  installs the same wheel again; the restored backup is today's, not the guide's
  example date.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import pwd
import re
import secrets
import shutil
import stat
import sys
import tempfile
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from component.dev.ports import DevPorts
from component.dev.prosody import _accepts
from tests.integration.adhoc_client import execute, rows
from tests.integration.client import groupchat_from, presence_from
from tests.integration.desk_helpers import invitation_to, on_desk, say
from tests.lifecycle.processes import REPO
from tests.prosody_config import fake_system
from tests.prosody_config.deployment import (
    DOMAIN,
    NAMES,
    SERVICE,
    VISITORS,
    WEB_HOST,
    free_port,
    https_request,
    tls_login,
)
from tests.prosody_config.guide import ADMIN_MD, command_block, numbered, shell_blocks
from tests.prosody_config.local_ca import LocalCA

pytestmark = pytest.mark.integration

VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
WHEEL = f"huddle-{VERSION}-py3-none-any.whl"
DESK = f"desk@{SERVICE}"
# Section 7's staff, the first admin first.
STAFF = {f"{name}@{DOMAIN}": secrets.token_urlsafe(12) for name in ("ada", "jennie", "john")}
ADA, JENNIE, JOHN = STAFF
STEP_TIMEOUT = 120.0
SERVICE_TIMEOUT = 30.0
POLL = 0.05


@dataclass(frozen=True, slots=True)
class Machine:
    root: Path
    ports: DevPorts
    direct_tls_port: int
    https_port: int
    ca: LocalCA

    @property
    def home(self) -> Path:
        """root's home, where the admin keeps the wheel and runs the commands."""
        return self.root / "root"

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.pathsep.join(
                [
                    str(self.root / "shims"),
                    str(self.root / "usr" / "local" / "sbin"),
                    "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                ]
            ),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "BACKUP_ROOT": str(self.root),
        }

    async def sh(self, script: str, *, check: bool = True) -> str:
        """Run the guide's ``script`` as root in bash, its paths moved under the
        root; returns its output. Files it installed for the system are moved too."""
        process = await asyncio.create_subprocess_exec(
            "bash", "-euo", "pipefail", "-c", fake_system.relocate(script, self.root),
            cwd=self.home, env=self.env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            output, _ = await asyncio.wait_for(process.communicate(), STEP_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise AssertionError(f"no end in {STEP_TIMEOUT}s:\n{script}") from None
        text = output.decode(errors="replace")
        if check:
            assert process.returncode == 0, f"{script}\n--- exit {process.returncode}:\n{text}"
        for folder in ("etc/systemd/system", "usr/local/sbin"):
            for path in (self.root / folder).rglob("*"):
                if path.is_file():
                    fake_system.relocate_file(path, self.root)
        return text

    def journal(self, unit: str) -> str:
        path = fake_system.journal(self.root, unit)
        return path.read_text(errors="replace") if path.exists() else ""

    def last_run(self, unit: str) -> str:
        """``unit``'s output since it was last started."""
        return self.journal(unit).rpartition(f"{fake_system.STARTED} {unit}.\n")[2]

    async def wait_for_journal(self, unit: str, text: str) -> None:
        """Until ``unit``'s output since it was last started holds ``text``."""
        deadline = asyncio.get_running_loop().time() + SERVICE_TIMEOUT
        while text not in self.last_run(unit):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{unit}: no {text!r}:\n{self.journal(unit)}")
            await asyncio.sleep(POLL)

    async def wait_for_prosody(self) -> None:
        """Until Prosody's ports accept (systemctl returns once it is started)."""
        deadline = asyncio.get_running_loop().time() + SERVICE_TIMEOUT
        waiting = [self.ports.c2s, self.ports.component, self.https_port]
        while waiting := [port for port in waiting if not await _accepts(port)]:
            if asyncio.get_running_loop().time() > deadline:
                log = self.journal("prosody.service")
                raise AssertionError(f"Prosody: {waiting} closed\n{log}")
            await asyncio.sleep(POLL)


WRAPPER = """-- This machine's ports and paths (tests/prosody_config/test_admin_guide.py): the
-- config of ADMIN.md, section 5, Include'd unchanged, on free loopback ports.
Include "prosody.cfg.lua"
pidfile = "{root}/run/prosody/prosody.pid"
data_path = "{root}/var/lib/prosody"
log = {{
	info = "{root}/var/log/prosody/prosody.log";
	error = "{root}/var/log/prosody/prosody.err";
}}
interfaces = {{ "127.0.0.1" }}
local_interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {c2s} }}
c2s_direct_tls_ports = {{ {direct_tls} }}
s2s_ports = {{ }}
http_ports = {{ {http} }}
http_interfaces = {{ "127.0.0.1" }}
https_ports = {{ {https} }}
https_interfaces = {{ "127.0.0.1" }}
component_ports = {{ {component} }}
component_interfaces = {{ "127.0.0.1" }}
http_files_dir = "{root}/var/www/huddle"
"""


def folder(path: Path, owner: str = "root", group: str = "root", mode: int = 0o755) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    shutil.chown(path, owner, group)
    path.chmod(mode)
    return path


async def build_wheel(into: Path) -> Path:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(into),
        str(REPO), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), STEP_TIMEOUT)
    assert process.returncode == 0, output.decode(errors="replace")
    return into / WHEEL


@pytest.fixture
async def machine() -> AsyncIterator[Machine]:
    """A fresh machine as section 2's packages leave it: Debian's sample Prosody
    config, its folders owned as the packages own them, certbot's hook folder."""
    # The guide's paths that this machine has: none of the others may appear.
    existing = {path for path in fake_system.PATHS if Path(path).exists()}
    # World-readable, unlike pytest's: Prosody and Huddle run as other users.
    root = Path(tempfile.mkdtemp(prefix="huddle-walk-"))
    root.chmod(0o755)
    try:
        etc_prosody = folder(root / "etc" / "prosody")
        # Debian's sample config, owned as the package owns it.
        sample = etc_prosody / "prosody.cfg.lua"
        shutil.copy("/etc/prosody/prosody.cfg.lua", sample)
        shutil.chown(sample, "root", "prosody")
        sample.chmod(0o640)
        folder(etc_prosody / "certs", group="prosody", mode=0o750)
        for path in ("var/lib/prosody", "var/log/prosody"):
            folder(root / path, "prosody", "prosody", 0o750)
        for path in (
            "etc/letsencrypt/renewal-hooks/deploy", "etc/letsencrypt/live",
            "etc/systemd/system", "usr/local/sbin", "opt", "var/www", "var/backups", "run",
        ):  # fmt: skip
            folder(root / path)
        folder(root / "root", mode=0o700)
        ports = DevPorts(c2s=free_port(), component=free_port(), http=free_port())
        machine = Machine(root, ports, free_port(), free_port(), LocalCA.create(root / "ca"))
        (etc_prosody / fake_system.PROSODY_WRAPPER).write_text(
            WRAPPER.format(
                root=root, c2s=ports.c2s, direct_tls=machine.direct_tls_port,
                http=ports.http, https=machine.https_port, component=ports.component,
            )
        )  # fmt: skip
        fake_system.install_shims(root)
        (root / "shims" / "passwords.json").write_text(json.dumps(STAFF))
        await build_wheel(machine.home)
        yield machine
    finally:
        fake_system.stop_all(root)
        shutil.rmtree(root, ignore_errors=True)
    leaked = [path for path in fake_system.PATHS if Path(path).exists()]
    assert set(leaked) <= existing, f"the walk wrote outside its root: {leaked}"


def guide_line(block: str, starting: str) -> str:
    """The one line of ``block`` that starts with ``starting``."""
    found = [line for line in block.splitlines() if line.startswith(starting)]
    assert len(found) == 1, f"{len(found)} lines starting {starting!r} in\n{block}"
    return found[0]


async def chat_end_to_end(machine: Machine, room_tag: str) -> None:
    """Section 8's check: a visitor opens a chat, Jennie, on the desk, is offered it,
    joins and answers, over verified TLS."""
    jennie = await tls_login(machine, JENNIE, STAFF[JENNIE], resource=room_tag)
    visitor = await tls_login(machine, VISITORS)
    try:
        await on_desk(jennie, DESK, "Jennie")
        room = f"chat-{secrets.token_hex(16)}@{SERVICE}"
        await visitor.join(room, "Mia")
        visitor.send(f"<message to='{room}' type='groupchat'><body>Hello?</body></message>")
        await jennie.expect(invitation_to(room), what=f"the desk offering {room}")
        await jennie.join(room, "Jennie")
        await visitor.expect(presence_from(f"{room}/Jennie"), what="Jennie joining")
        say(jennie, room, f"Hello Mia ({room_tag})")
        await visitor.expect(groupchat_from(f"{room}/Jennie", f"Hello Mia ({room_tag})"))
        say(jennie, room, "!close")
    finally:
        await visitor.close()
        await jennie.close()


async def test_the_admin_guide_from_a_fresh_machine_to_a_restored_backup(machine):
    root = machine.root

    # 2. Packages, and Huddle from its wheel into /opt/huddle.
    for block in shell_blocks(numbered(ADMIN_MD.read_text(), 2)):
        output = await machine.sh(block)
    assert f"huddle {VERSION}" in output, output
    assert (root / "opt" / "huddle" / "bin" / "huddle").is_file()

    # 3. Certificates: certbot for the names the guide gives, and its deploy hook.
    await machine.sh(command_block(3, "certbot certonly --standalone"))
    await machine.sh(command_block(3, "renewal-hooks/deploy/prosody"))
    live = root / "etc" / "letsencrypt" / "live" / WEB_HOST / "fullchain.pem"
    assert live.is_file(), "certbot's --cert-name is the web host"

    # 4. The huddle user and the component secret, with Prosody's drop-in.
    await machine.sh(command_block(4, "adduser --system"))
    await machine.sh(command_block(4, "secret.env"))
    secret_env = root / "etc" / "huddle" / "secret.env"
    assert stat.S_IMODE(secret_env.stat().st_mode) == 0o600
    assert re.fullmatch(r"HUDDLE_SECRET=[0-9a-f]{64}\n", secret_env.read_text())

    # 5. Prosody's config, checked, certificates imported, Prosody started.
    output = await machine.sh(command_block(5, "huddle prosody-config --domain"))
    assert "All checks passed" in output, output
    for name in NAMES:
        # prosodyctl checks hosts; the web host is no host but has its certificate.
        assert name == WEB_HOST or f"Checking certificate for {name}" in output, output
    # cert import takes the web host (http_host) along with the hosts.
    imported = re.search(r"Imported certificate and key for hosts (.*)", output)
    assert imported and set(NAMES) <= set(imported[1].split(", ")), output
    assert "component_secret is not set" not in output
    await machine.wait_for_prosody()

    # 6. Huddle's config and service: it connects with the secret from secret.env.
    await machine.sh(command_block(6, "huddle example-config"))
    toml = root / "etc" / "huddle" / "huddle.toml"
    assert stat.S_IMODE(toml.stat().st_mode) == 0o640
    text, count = re.subn(
        r"(?m)^server_port = 5347$", f"server_port = {machine.ports.component}", toml.read_text()
    )
    assert count == 1, "huddle.toml's component port"
    toml.write_text(text)
    await machine.sh(command_block(6, "systemctl enable --now huddle"))
    await machine.wait_for_journal("huddle.service", f"serving {SERVICE}")
    huddle_pid = int((root / "run" / "systemd" / "huddle.service.pid").read_text())
    assert Path(f"/proc/{huddle_pid}").stat().st_uid == pwd.getpwnam("nobody").pw_uid

    # 7. Staff, the first admin first, and canned replies.
    output = await machine.sh(command_block(7, "prosodyctl adduser"))
    for jid, role in ((ADA, "admin"), (JENNIE, "agent"), (JOHN, "supervisor")):
        assert re.search(rf"{re.escape(jid)}\s.*\b{role}\b", output), (jid, role, output)
    (machine.home / "refund.txt").write_text("Refunds take 5 days.\nWe will email you.\n")
    output = await machine.sh(command_block(7, "huddle-admin canned add"))
    assert "hours" in output and "refund" in output, output

    # 8. The widget and the console, served under the web host with its certificate.
    await machine.sh(command_block(8, "huddle web install"))
    for page in ("/chat/huddle-widget.js", "/console/"):
        status, _, _ = await asyncio.to_thread(
            https_request, machine.https_port, WEB_HOST, machine.ca.cert, path=page
        )
        assert status == 200, page
    await chat_end_to_end(machine, "first")
    # The first admin manages staff from her own client.
    ada = await tls_login(machine, ADA, STAFF[ADA])
    try:
        listed = {row["jid"]: row for row in rows(await execute(ada, SERVICE, "list-staff"))}
        assert set(listed) == set(STAFF), listed
    finally:
        await ada.close()

    # 9. The fence is loaded, and nothing about it went wrong.
    fence = command_block(9, "module:list")
    output = await machine.sh(guide_line(fence, "prosodyctl shell"))
    assert "firewall" in output and "c2s_conn_throttle" in output, output
    output = await machine.sh(guide_line(fence, "grep -i 'firewall'"), check=False)
    assert output == "", output

    # 11. A backup, then a restore: what changed after the backup is gone.
    output = await machine.sh(command_block(11, "huddle-backup.timer"))
    today = datetime.date.today().isoformat()
    assert f"huddle-{today}.sqlite" in output and f"config-{today}.tar.gz" in output, output
    output = await machine.sh(
        f"huddle-admin staff add late@{DOMAIN} --name Late --role agent --team support\n"
        "huddle-admin staff list"
    )
    assert f"late@{DOMAIN}" in output, output
    restore = re.sub(
        r"huddle-\d{4}-\d{2}-\d{2}\.sqlite", f"huddle-{today}.sqlite",
        command_block(11, "systemctl stop huddle"),
    )  # fmt: skip
    await machine.sh(restore)
    await machine.wait_for_journal("huddle.service", f"serving {SERVICE}")
    output = await machine.sh("huddle-admin staff list")
    assert f"late@{DOMAIN}" not in output and JENNIE in output, output

    # 12. Upgrading, to the same wheel: nothing to carry over; services restarted.
    generated = command_block(12, "generated() {")
    upgrade = command_block(12, "generated /var/backups/huddle/upgrade-old").replace(
        re.search(r"huddle-[\d.]+-py3-none-any\.whl", command_block(12, "upgrade-old"))[0],
        WHEEL,
    )
    # diff -ru exits 1 on any difference, which fails the step.
    await machine.sh(generated + upgrade)
    await machine.sh(command_block(12, "systemctl restart huddle"))
    await machine.wait_for_journal("huddle.service", f"serving {SERVICE}")
    await machine.wait_for_prosody()
    await chat_end_to_end(machine, "after the restore and the upgrade")
