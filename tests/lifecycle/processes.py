"""Real ``huddle`` processes for lifecycle tests: started, read line by line, stopped.

Output is read as it arrives, so a test waits for a line (never sleeps) and a
child never blocks on a full pipe. Tests import this module; ``conftest.py``
holds the fixtures that make sure nothing started here outlives a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HUDDLE = (sys.executable, "-m", "component.cli")
TIMEOUT = 20.0
# Long enough for a slow start on a loaded 2-core machine, short enough to fail fast.
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
STREAMS = ("stdout", "stderr")


class HuddleProcess:
    """One ``python -m component.cli …`` child with both output streams recorded."""

    def __init__(self, process: asyncio.subprocess.Process, args: tuple[str, ...]) -> None:
        self.process = process
        self.args = args
        self.lines: dict[str, list[str]] = {name: [] for name in STREAMS}
        self._cursor = dict.fromkeys(STREAMS, 0)
        self._closed = dict.fromkeys(STREAMS, False)
        self._changed = asyncio.Event()
        self._readers = [
            asyncio.ensure_future(self._read(name, getattr(process, name))) for name in STREAMS
        ]

    @classmethod
    async def start(
        cls,
        *args: str,
        env: Mapping[str, str] | None = None,
        command: Sequence[str] = HUDDLE,
        cwd: Path = REPO,
    ) -> HuddleProcess:
        """``command`` (the checkout's huddle, or an installed one) with ``args``."""
        full_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
        process = await asyncio.create_subprocess_exec(
            *command,
            *args,
            cwd=cwd,
            env=full_env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process, args)

    async def _read(self, name: str, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines[name].append(line.decode(errors="replace"))
            self._changed.set()
        self._closed[name] = True
        self._changed.set()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def text(self, stream: str) -> str:
        return "".join(self.lines[stream])

    @property
    def output(self) -> str:
        """Everything read so far, for assertion messages."""
        return "".join(
            f"--- {name} of huddle {' '.join(self.args)} ---\n{self.text(name)}" for name in STREAMS
        )

    async def wait_for_line(
        self, needle: str, stream: str = "stdout", timeout: float = TIMEOUT
    ) -> str:
        """The next line of ``stream`` (after the last one returned) containing ``needle``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            lines = self.lines[stream]
            for index in range(self._cursor[stream], len(lines)):
                if needle in lines[index]:
                    self._cursor[stream] = index + 1
                    return lines[index]
            if self._closed[stream]:
                raise AssertionError(f"{stream} ended without {needle!r}\n{self.output}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no {needle!r} on {stream} in {timeout}s\n{self.output}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def send_signal(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    async def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        """The exit status; AssertionError if the process is still running after ``timeout``."""
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"still running after {timeout}s\n{self.output}") from None
        # The pipes close with the process (nothing else holds them): read them to the end.
        await asyncio.wait_for(asyncio.gather(*self._readers), timeout)
        return self.process.returncode

    async def stop(self) -> None:
        """Teardown: SIGTERM, then SIGKILL if it does not end; a no-op once it has exited."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


async def huddle(
    *args: str,
    env: Mapping[str, str] | None = None,
    command: Sequence[str] = HUDDLE,
    cwd: Path = REPO,
) -> tuple[int, str, str]:
    """Run a short ``huddle`` command to the end: (exit status, stdout, stderr)."""
    process = await HuddleProcess.start(*args, env=env, command=command, cwd=cwd)
    try:
        code = await process.wait(TIMEOUT)
    finally:
        await process.stop()
    return code, process.text("stdout"), process.text("stderr")


def processes_with_argument(argument: str) -> list[int]:
    """Pids of live processes with ``argument`` as one whole word of their command line."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if os.fsencode(argument) in argv:
            found.append(int(entry.name))
    return found
