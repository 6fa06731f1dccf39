"""A private X display (Xvfb) for desktop clients: start, screenshot, type, stop.

Xvfb picks a free display number itself (``-displayfd``) and says so once it
accepts connections, so parallel test runs never collide and nothing waits on
a guess. There is no window manager: keyboard focus is given to a window with
``xdotool windowfocus``, and windows keep the size the client asks for.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import select
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "clients"
WIDTH, HEIGHT = 1400, 900
START_TIMEOUT = 10.0
COMMAND_TIMEOUT = 15.0


class DisplayError(AssertionError):
    """Xvfb did not start, or an X tool (xdotool, import) failed."""


def artifact_path(name: str, suffix: str) -> Path:
    """``test-artifacts/clients/<name><suffix>``, with ``name`` made file-safe."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}{suffix}"


def keep_database(source: Path, name: str, suffix: str) -> None:
    """Copy a client's SQLite store into the artifacts, read-only and consistent
    even while the client has it open."""
    with contextlib.suppress(sqlite3.Error):
        keep = sqlite3.connect(artifact_path(name, suffix))
        try:
            opened = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            try:
                opened.backup(keep)
            finally:
                opened.close()
        finally:
            keep.close()


class Display:
    def __init__(self, width: int = WIDTH, height: int = HEIGHT) -> None:
        self.width = width
        self.height = height
        self.number: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        if self.number is None:
            raise DisplayError("the display is not started")
        return f":{self.number}"

    def start(self) -> None:
        read_end, write_end = os.pipe()
        try:
            self._process = subprocess.Popen(
                [
                    "Xvfb",
                    "-displayfd",
                    str(write_end),
                    "-screen",
                    "0",
                    f"{self.width}x{self.height}x24",
                    "-nolisten",
                    "tcp",
                    # Keep the server when the last client leaves (a client restarted
                    # by a test must find it again).
                    "-noreset",
                ],
                pass_fds=(write_end,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            os.close(write_end)
            write_end = -1
            self.number = self._read_display_number(read_end)
        except BaseException:
            self.stop()
            raise
        finally:
            os.close(read_end)
            if write_end >= 0:
                os.close(write_end)

    def _read_display_number(self, fd: int) -> int:
        """Xvfb writes the number it chose, then a newline, once it is ready."""
        deadline = time.monotonic() + START_TIMEOUT
        data = b""
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DisplayError(f"Xvfb gave no display number in {START_TIMEOUT}s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 16)
            if not chunk:
                code = self._process.poll() if self._process else None
                raise DisplayError(f"Xvfb exited before it was ready (exit code {code})")
            data += chunk
        return int(data.strip())

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    # -- X tools, run against this display ------------------------------------------

    async def run(self, *command: str, timeout: float = COMMAND_TIMEOUT) -> str:
        env = {**os.environ, "DISPLAY": self.name}
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise DisplayError(f"{command[0]}: no answer in {timeout}s") from None
        if process.returncode != 0:
            raise DisplayError(
                f"{' '.join(command)} failed ({process.returncode}): {err.decode().strip()}"
            )
        return out.decode(errors="replace")

    async def screenshot(self, name: str) -> Path:
        """The whole screen as ``test-artifacts/clients/<name>.png``."""
        path = artifact_path(name, ".png")
        await self.run("import", "-window", "root", str(path))
        return path

    async def windows(self, pid: int | None = None, name: str | None = None) -> list[str]:
        """Ids of mapped windows of process ``pid``, or whose title matches ``name``."""
        args = ["xdotool", "search", "--onlyvisible"]
        if pid is not None:
            args += ["--pid", str(pid)]
        else:
            args += ["--name", name or ""]
        try:
            out = await self.run(*args)
        except DisplayError:
            # xdotool search exits 1 when nothing matches.
            return []
        return out.split()

    async def window_name(self, window: str) -> str:
        return (await self.run("xdotool", "getwindowname", window)).strip()

    async def focus(self, window: str) -> None:
        """Give ``window`` the keyboard focus (XSetInputFocus: no window manager here)."""
        await self.run("xdotool", "windowfocus", "--sync", window)

    async def type(self, text: str, enter: bool = True) -> None:
        """Type ``text`` into the focused window as key presses, then Return."""
        # --delay: key events at a pace a GTK main loop busy with a redraw keeps up with.
        await self.run("xdotool", "type", "--delay", "15", "--", text)
        if enter:
            await self.run("xdotool", "key", "Return")
