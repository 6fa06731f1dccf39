"""``huddle dev``: run the dev stack in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from component.config import ConfigError
from component.dev.certs import CertificateError
from component.dev.ports import PortsError
from component.dev.prosody import ProsodyError
from component.dev.stack import DevInfo, DevStack
from storage.database import MigrationError
from storage.staff import StaffError

# Failures a newcomer can act on from the message alone; anything else is a bug
# and keeps its traceback.
EXPECTED_ERRORS = (
    ConfigError,
    CertificateError,
    PortsError,
    ProsodyError,
    StaffError,
    MigrationError,
    OSError,
)


def say(line: str = "") -> None:
    # Flushed at once: tests and wrappers read these lines through a pipe.
    print(line, flush=True)


def connection_help(info: DevInfo, state_dir: Path, certificate: Path | None = None) -> list[str]:
    width = max(len(account.jid) for account in info.accounts)
    lines = [
        "",
        "How to connect",
        f"  XMPP server   {info.c2s_host} port {info.c2s_port}",
        "                Set this host and port in your client's advanced connection",
        f"                settings ('{info.staff_domain}' has no DNS records to find it by).",
        "                STARTTLS uses a self-signed certificate: accept it when asked",
        f"                (Gajim shows a warning); it stays the same for {state_dir}.",
        "  Staff accounts",
    ]
    lines += [
        f"    {account.jid:<{width}}  password {account.password}  "
        f"{account.role}, team {account.team}, shown as {account.name!r}"
        for account in info.accounts
    ]
    lines += [
        f"  Support service  {info.service}  (join the staff desk: {info.desk})",
        f"  Visitors         anonymous logins on {info.visitor_domain}",
        f"  File uploads     {info.staff_upload} (staff), {info.visitor_upload} (visitors);",
        "                files are served from those names: browsers find *.localhost",
        "                themselves, desktop clients may need them in /etc/hosts",
        f"  Visitor widget   {info.widget_url}  (a page as on your website)",
        f"  Staff console    {info.console_url}  (log in as a staff account above)",
        f"  Websocket        {info.websocket_url}",
        f"  All of this      {state_dir / 'dev.json'}",
    ]
    if certificate is not None:
        lines += [
            f"  Certificate      {certificate}",
            "                Clients with no host/port setting (Dino) connect to the",
            "                domain on port 5222 and trust only system CAs: start with",
            "                --ports-from 5222 and trust the certificate system-wide:",
            f"                  cp {certificate} /usr/local/share/ca-certificates/huddle-dev.crt",
            "                  update-ca-certificates",
        ]
    lines.append("")
    return lines


async def run_dev(state_dir: Path, ports_from: int | None, *, start_component: bool = True) -> int:
    """Start the stack, print how to connect, and hold it up until SIGINT/SIGTERM."""
    loop = asyncio.get_running_loop()
    stop_requested = asyncio.Event()
    handled = (signal.SIGINT, signal.SIGTERM)
    for sig in handled:
        loop.add_signal_handler(sig, stop_requested.set)
    stack = DevStack(state_dir, ports_from, start_component=start_component, progress=say)
    try:
        starting = asyncio.ensure_future(stack.start())
        interrupted = asyncio.ensure_future(stop_requested.wait())
        # Ctrl-C while starting (the component may take a while) must not wait it out.
        await asyncio.wait({starting, interrupted}, return_when=asyncio.FIRST_COMPLETED)
        interrupted.cancel()
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            say("Interrupted while starting; stopped.")
            return 130
        try:
            starting.result()
        except EXPECTED_ERRORS as exc:
            print(f"huddle dev: {exc}", file=sys.stderr, flush=True)
            return 1
        try:
            certificate = stack.prosody.certificate().cert
            for line in connection_help(stack.info, stack.state_dir, certificate):
                say(line)
            say("Huddle dev stack is ready. Press Ctrl-C to stop.")
            await stop_requested.wait()
            say("Stopping...")
        finally:
            await stack.stop()
        say("Stopped: component and Prosody are down.")
        return 0
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
