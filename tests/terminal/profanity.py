"""Profanity (Debian's ``profanity`` package, 0.13) as a staff member uses it.

Driven through tmux as a person would: commands typed at its prompt, the password
typed when it asks, and every check read from the screen. Its home is a private
folder, so its config, logs and OMEMO keys never mix with a real user's.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from tests.terminal.tmux import Pane, PaneError

LOGIN_TIMEOUT = 20.0
# The status bar: " [10:17] jennie@localhost/profanity.u0ry    [1][2]-3- ", where -3-
# is the window shown.
STATUS_BAR = re.compile(r"^ \[\d\d:\d\d\] .*-(\d+)-\s*$", re.MULTILINE)


def shown_window(screen: str) -> int | None:
    """The number of the window on screen, from the status bar."""
    found = STATUS_BAR.search(screen)
    return int(found.group(1)) if found else None


class Profanity:
    def __init__(self, pane: Pane, home: Path) -> None:
        self.pane = pane
        self.home = home

    @property
    def log_path(self) -> Path:
        return self.home / ".local" / "share" / "profanity" / "logs" / "profanity.log"

    async def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            # Profanity finds its files through GLib, which prefers XDG_* over HOME.
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
        }
        await self.pane.start(["profanity"], env)
        await self.pane.wait_for(r"Type '/help'")

    async def connect(self, jid: str, password: str, host: str, port: int) -> None:
        """Log in with STARTTLS, trusting the dev server's self-signed certificate
        (``tls trust``), the way a user accepts it once in a GUI client. The
        password is typed when Profanity asks for it."""
        await self.pane.type(f"/connect {jid} server {host} port {port} tls trust")
        await self.pane.wait_for(r"Enter password:")
        await self.pane.type(password)
        await self.pane.wait_for(rf"{re.escape(jid)}/\S+ logged in successfully", LOGIN_TIMEOUT)

    async def connect_anonymously(self, domain: str, host: str, port: int) -> str:
        """Log in to an anonymous host, as a visitor would; returns the bare JID
        the server made up. Profanity asks for a password even for a domain-only
        JID; an empty one makes libstrophe use SASL ANONYMOUS."""
        await self.pane.type(f"/connect {domain} server {host} port {port} tls trust")
        await self.pane.wait_for(r"Enter password:")
        await self.pane.type("")
        screen = await self.pane.wait_for(
            rf"\S+@{re.escape(domain)}/\S+ logged in successfully", LOGIN_TIMEOUT
        )
        found = re.search(rf"(\S+@{re.escape(domain)})/\S+ logged in successfully", screen)
        assert found is not None
        return found.group(1)

    async def join(self, room: str, nick: str) -> None:
        """``/join`` a room and wait until Profanity shows that room's new window.

        The window must be a new one: the room window shown before (the desk)
        carries the same "You have joined" line for its own room."""
        before = shown_window(await self.pane.screen())
        joined = f"You have joined the room as {nick}"
        await self.pane.type(f"/join {room} nick {nick}")
        await self.pane.wait_until(
            lambda screen: joined in screen and shown_window(screen) not in (None, before),
            f"{room}'s window with {joined!r}",
        )

    async def say(self, text: str) -> None:
        """Send ``text`` to the room in the current window."""
        await self.pane.type(text)

    async def quit(self) -> None:
        with contextlib.suppress(PaneError):
            await self.pane.type("/quit")
        await self.pane.stop()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no profanity.log)"
