"""A terminal program in a private tmux server: type into it, read its screen.

Each ``Pane`` runs its own tmux server on a socket in the test's temporary
folder (``tmux -S``), so it never touches a user's tmux sessions and stopping it
ends only what the test started. Reads poll ``capture-pane`` until a condition
holds or a deadline passes: the screen is the only thing a terminal program
offers to wait on.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

POLL_INTERVAL = 0.1
TIMEOUT = 15.0
# Wide enough that Profanity's room windows (messages plus an occupant list on the
# right) keep a line of chat on one screen line most of the time; -J rejoins the rest.
WIDTH, HEIGHT = 220, 50


class PaneError(AssertionError):
    """tmux failed, or the screen never showed what a test waited for."""


class Pane:
    def __init__(self, socket: Path, session: str = "huddle") -> None:
        self.socket = socket
        self.session = session

    async def _tmux(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        process = await asyncio.create_subprocess_exec(
            "tmux",
            "-S",
            str(self.socket),
            # No user or system tmux.conf: key bindings and options as tmux ships them.
            "-f",
            "/dev/null",
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env) if env is not None else None,
        )
        out, err = await process.communicate()
        if process.returncode != 0:
            raise PaneError(f"tmux {args[0]} failed ({process.returncode}): {err.decode().strip()}")
        return out.decode(errors="replace")

    async def start(self, command: Sequence[str], env: Mapping[str, str]) -> None:
        """Run ``command`` in a new detached session with exactly ``env``."""
        await self._tmux(
            "new-session",
            "-d",
            "-s",
            self.session,
            "-x",
            str(WIDTH),
            "-y",
            str(HEIGHT),
            *command,
            # Keep the last screen if the program dies, so the failure shows why.
            ";",
            "set-option",
            "-t",
            self.session,
            "remain-on-exit",
            "on",
            env=env,
        )

    async def type(self, text: str) -> None:
        """Type ``text`` literally (no key names), then Enter."""
        await self._tmux("send-keys", "-t", self.session, "-l", text)
        await self._tmux("send-keys", "-t", self.session, "Enter")

    async def screen(self) -> str:
        """The visible screen, wrapped lines joined. Only what is visible: a
        full-screen program redraws its windows in place, and a line scrolled into
        tmux's history may belong to a window no longer shown."""
        return await self._tmux("capture-pane", "-p", "-J", "-t", self.session)

    async def dead(self) -> bool:
        status = await self._tmux("display-message", "-p", "-t", self.session, "#{pane_dead}")
        return status.strip() == "1"

    async def wait_until(
        self, check: Callable[[str], bool], what: str, timeout: float = TIMEOUT
    ) -> str:
        """Poll the screen until ``check(screen)`` holds; returns that screen."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            text = await self.screen()
            if check(text):
                return text
            if await self.dead():
                raise PaneError(f"the program exited before showing {what}:\n{text}")
            if loop.time() > deadline:
                raise PaneError(f"not on screen after {timeout}s: {what}\n{text}")
            await asyncio.sleep(POLL_INTERVAL)

    async def wait_for(self, pattern: str, timeout: float = TIMEOUT) -> str:
        """Poll the screen until the regular expression ``pattern`` matches it."""
        regex = re.compile(pattern)
        return await self.wait_until(
            lambda text: regex.search(text) is not None, repr(pattern), timeout
        )

    async def stop(self) -> None:
        """End this tmux server and the program in it; fine if it is already gone."""
        with contextlib.suppress(PaneError):
            await self._tmux("kill-server")
