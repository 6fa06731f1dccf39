"""nginx running the shipped examples, ``prosody-config/nginx-huddle.conf`` (the
chat machine) and ``prosody-config/nginx-website.conf`` (the shop's website), on
loopback ports of a test's own.

Each file is used as an admin installs it, with only what a test machine must
change replaced, and every replacement checked to have happened, so that the
files and the tests cannot drift apart: the listening ports, the certificate's
and webroot's paths, Prosody's HTTP port, and, in the website's snippet, the
chat machine's address (no DNS here) and the authorities it trusts. The shop's
own server block, which the snippet goes into, is the test's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from component.dev.ports import LOOPBACK
from component.dev.prosody import _accepts
from tests.lifecycle.processes import REPO

CHAT_CONF = REPO / "prosody-config" / "nginx-huddle.conf"
WEBSITE_CONF = REPO / "prosody-config" / "nginx-website.conf"
START_TIMEOUT = 20.0
POLL_INTERVAL = 0.05


def missing_requirement() -> str | None:
    if shutil.which("nginx") is None:
        return "nginx not found (Debian: apt-get install nginx; scripts/setup.sh installs it)"
    return None


def replace(text: str, old: str, new: str, count: int, what: str) -> str:
    """``text`` with ``old`` replaced; AssertionError unless it occurs ``count`` times."""
    found = text.count(old)
    assert found == count, f"{what}: expected {count} of {old!r}, found {found}"
    return text.replace(old, new)


@dataclass(frozen=True, slots=True)
class Ports:
    http: int  # stands in for 80
    https: int  # stands in for 443


def render_chat_conf(
    ports: Ports, live_dir: Path, webroot: Path, prosody_http: int, domain: str = "example.org"
) -> str:
    """nginx-huddle.conf as installed (``sed s/example.org/$DOMAIN/``), moved onto
    the test's ports and paths."""
    text = CHAT_CONF.read_text().replace("example.org", domain)
    text = replace(text, "listen 80;", f"listen {LOOPBACK}:{ports.http};", 1, "port 80")
    text = replace(text, "    listen [::]:80;\n", "", 1, "port 80 on IPv6")
    text = replace(text, "listen 443 ssl;", f"listen {LOOPBACK}:{ports.https} ssl;", 2, "443")
    text = replace(text, "    listen [::]:443 ssl;\n", "", 2, "port 443 on IPv6")
    text = replace(
        text, f"/etc/letsencrypt/live/chat.{domain}/", f"{live_dir}/", 4, "certbot's files"
    )
    text = replace(text, "root /var/www/html;", f"root {webroot};", 1, "certbot's webroot")
    return replace(
        text, "http://127.0.0.1:5280;", f"http://127.0.0.1:{prosody_http};", 2, "Prosody"
    )


def render_website_conf(chat_https: int, ca_cert: Path, domain: str = "example.org") -> str:
    """nginx-website.conf as installed, pointed at the test's chat machine."""
    text = WEBSITE_CONF.read_text().replace("example.org", domain)
    text = replace(
        text,
        f"proxy_pass https://chat.{domain}/",
        f"proxy_pass https://{LOOPBACK}:{chat_https}/",
        2,
        "the chat machine",
    )
    return replace(
        text, "/etc/ssl/certs/ca-certificates.crt", str(ca_cert), 2, "trusted authorities"
    )


def main_conf(folder: Path, *, includes: list[Path], servers: str = "") -> str:
    """An nginx.conf of the test's own: Debian's sites-enabled include replaced by
    ``includes`` (in the http block), logs and temporary files in ``folder``."""
    temp = folder / "temp"
    lines = [
        # As root, with files in root's private temporary folders.
        "user root;",
        "worker_processes 1;",
        f"pid {folder / 'nginx.pid'};",
        f"error_log {folder / 'error.log'} info;",
        "events { worker_connections 256; }",
        "http {",
        "    include /etc/nginx/mime.types;",
        f"    access_log {folder / 'access.log'};",
        *(f"    {kind}_temp_path {temp / kind};" for kind in ("client_body", "proxy")),
        *(f"    {kind}_temp_path {temp / kind};" for kind in ("fastcgi", "uwsgi", "scgi")),
        *(f"    include {path};" for path in includes),
        servers,
        "}",
    ]
    return "\n".join(lines) + "\n"


class NginxServer:
    """``nginx -g 'daemon off;'`` on a config of the test's, in its own process group."""

    def __init__(self, folder: Path, config: Path, ports: Ports) -> None:
        self.folder = folder
        self.config = config
        self.ports = ports
        self._process: asyncio.subprocess.Process | None = None

    async def check(self) -> str:
        """``nginx -t``: its output; AssertionError if it finds the config wrong."""
        process = await asyncio.create_subprocess_exec(
            "nginx", "-t", "-c", str(self.config), "-p", str(self.folder),
            "-e", str(self.folder / "error.log"),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(process.communicate(), START_TIMEOUT)
        text = output.decode(errors="replace")
        assert process.returncode == 0, text
        return text

    async def start(self) -> None:
        (self.folder / "temp").mkdir(exist_ok=True)
        await self.check()
        log = (self.folder / "nginx.out").open("wb")
        with log:
            self._process = await asyncio.create_subprocess_exec(
                "nginx", "-c", str(self.config), "-p", str(self.folder),
                "-e", str(self.folder / "error.log"), "-g", "daemon off;",
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        waiting = [self.ports.http, self.ports.https]
        while waiting:
            if self._process.returncode is not None:
                raise AssertionError(f"nginx exited ({self._process.returncode}): {self.logs()}")
            if time.monotonic() > deadline:
                await self.stop()
                raise AssertionError(f"nginx did not open {waiting}: {self.logs()}")
            waiting = [port for port in waiting if not await _accepts(port)]
            if waiting:
                await asyncio.sleep(POLL_INTERVAL)

    def logs(self) -> str:
        parts = []
        for name in ("nginx.out", "error.log"):
            path = self.folder / name
            if path.exists():
                parts.append(f"--- {name} ---\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def access_log(self) -> str:
        path = self.folder / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            # QUIT: nginx's graceful stop; TERM and KILL if it does not end.
            process.send_signal(signal.SIGQUIT)
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
