"""poezio (Debian's ``poezio`` package, 0.14) as a staff member uses it.

Driven through tmux: commands typed at its prompt, read back from its screen and
from the chat logs poezio writes itself, one file per conversation under
``$XDG_DATA_HOME/poezio/logs/``. A log line is written when poezio handles a
message, whichever tab is shown, so the logs are the steadier record; the screen
is still the only place for what poezio does not log (information lines, the
occupant list, ``/info``, forms).

Typing needs care: poezio reads whatever keys are waiting in one go, and takes
several keys read together as a paste (poezio/keyboard.py, get_user_input): a
paste ending in Enter loses that Enter, and in the roster tab a paste is dropped.
So every Enter (and every key that must act alone) is sent only once the screen
shows that poezio has taken the keys before it.

poezio refuses to run as root. As root it runs as ``nobody`` through ``setpriv``
(util-linux, always installed), so no account is created for the test; its home
is then a private folder outside pytest's root-only temporary tree.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.terminal.tmux import TIMEOUT, Pane, PaneError

LOGIN_TIMEOUT = 20.0
POLL_INTERVAL = 0.1
NOBODY = 65534
# One logged message or information line:
#   MR 20261129T15:06:43Z 000 <Vera (visitor)> \xa0My refund is late
#   MI 20261129T15:06:51Z 000 ---> You (Jennie) joined the room
# A space and a no-break space end the nick (poezio/logger.py); the three digits
# count the continuation lines that follow, each indented by a space.
LOG_LINE = re.compile(r"^(MR|MI) \d{8}T\d\d:\d\d:\d\dZ (\d{3}) (?:<([^\xa0]+)> \xa0)?(.*)$")
# Colours, as ``capture-pane -e`` shows them.
SGR = re.compile(r"\x1b\[[\d;]*m")
# The default theme draws the selected row of a list on a blue background.
SELECTED = re.compile(r"\x1b\[(?:[\d;]*;)?44m")


@dataclass(frozen=True, slots=True)
class LogEntry:
    kind: str  # "message" or "info"
    nick: str
    text: str

    def __str__(self) -> str:
        return f"<{self.nick}> {self.text}" if self.nick else self.text


def parse_log(text: str) -> list[LogEntry]:
    entries: list[LogEntry] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        found = LOG_LINE.match(lines[index])
        index += 1
        if found is None:
            continue
        kind, more, nick, first = found.groups()
        rest = [line[1:] for line in lines[index : index + int(more)]]
        index += int(more)
        entries.append(
            LogEntry("message" if kind == "MR" else "info", nick or "", "\n".join([first, *rest]))
        )
    return entries


def tab_text(line: str) -> str:
    """A screen line without the vertical tab list on its left (up to its "│")."""
    return line.partition("│")[2] if "│" in line else line


def input_line(screen: str) -> str:
    """What the input line, the screen's last, holds."""
    lines = screen.rstrip("\n").split("\n")
    return tab_text(lines[-1]).rstrip()


def command_rows(styled: str) -> tuple[list[str], int | None]:
    """The nodes of poezio's ad-hoc commands tab, top to bottom (the first word
    of each row under its "Node  Description" header), and which one is selected;
    from a screen with its colours."""
    lines = [tab_text(line) for line in styled.splitlines()]
    plain = [SGR.sub("", line) for line in lines]
    header = next((i for i, line in enumerate(plain) if re.match(r"Node\s+Description", line)), -1)
    if header < 0:
        return [], None
    rows: list[str] = []
    selected = None
    for line, text in zip(lines[header + 1 :], plain[header + 1 :], strict=True):
        if not text.split():
            break
        if SELECTED.search(line):
            selected = len(rows)
        rows.append(text.split()[0])
    return rows, selected


async def next_second() -> None:
    """Wait until the wall clock enters its next whole second.

    poezio reads a room's history on join from the room's archive alone when the
    room offers MAM (``<history seconds='0'/>``, poezio/multiuserchat.py), asking
    for messages up to now cut to whole seconds (poezio/mam.py, fetch_history):
    a message from the second of the join is in neither, and poezio never shows
    it. A real agent takes longer than that to join; a test must wait for it."""
    now = time.time()
    await asyncio.sleep(math.floor(now) + 1 - now)


class KeyPane(Pane):
    """A ``Pane`` that can also send keys without Enter, and read colours."""

    async def write(self, text: str) -> None:
        await self._tmux("send-keys", "-t", self.session, "-l", text)

    async def press(self, key: str) -> None:
        """One key by its tmux name: ``Enter``, ``Down``, ``C-g``."""
        await self._tmux("send-keys", "-t", self.session, key)

    async def styled_screen(self) -> str:
        return await self._tmux("capture-pane", "-p", "-e", "-t", self.session)


class Poezio:
    def __init__(self, pane: KeyPane) -> None:
        self.pane = pane
        # Under /tmp rather than pytest's tmp_path: as root, that tree is readable by
        # root alone, and poezio runs as nobody.
        self.home = Path(tempfile.mkdtemp(prefix="huddle-poezio-"))

    @property
    def log_dir(self) -> Path:
        return self.home / ".local" / "share" / "poezio" / "logs"

    @property
    def debug_log(self) -> Path:
        return self.home / "debug.log"

    async def start(self, jid: str, password: str, host: str, port: int, ca_cert: Path) -> None:
        """Log in from the config file, as poezio does on start. The dev server's
        certificate is self-signed: poezio trusts it as a CA through
        ``ca_cert_path`` (``ignore_certificate`` does not skip the check)."""
        config_dir = self.home / ".config" / "poezio"
        config_dir.mkdir(parents=True)
        shutil.copy(ca_cert, self.home / "dev-ca.crt")
        (config_dir / "poezio.cfg").write_text(
            "[Poezio]\n"
            f"jid = {jid}\n"
            f"password = {password}\n"
            f"custom_host = {host}\n"
            f"custom_port = {port}\n"
            f"ca_cert_path = {self.home / 'dev-ca.crt'}\n"
            "force_encryption = true\n"
            # /join would otherwise store every room as a server-side bookmark of the
            # shared demo account, and clients that auto-join bookmarks (Gajim) would
            # enter those chats in later tests.
            "synchronise_open_rooms = false\n"
            "use_remote_bookmarks = false\n"
        )
        # -d: every stanza and key poezio handled, kept with the logs for failures.
        command = ["poezio", "-d", str(self.debug_log)]
        if os.geteuid() == 0:
            for path in [self.home, *self.home.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)
            command = [
                "setpriv",
                f"--reuid={NOBODY}",
                f"--regid={NOBODY}",
                "--clear-groups",
                *command,
            ]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
        }
        await self.pane.start(command, env)
        await self.pane.wait_for(rf"Your JID is {re.escape(jid)}/\S+", LOGIN_TIMEOUT)

    async def _enter(self, text: str) -> None:
        """Type ``text`` into the input line, then Enter once poezio shows it there."""
        await self.pane.write(text)
        await self.pane.wait_until(
            lambda screen: input_line(screen).endswith(text), f"{text!r} in the input line"
        )
        await self.pane.press("Enter")

    async def command(self, text: str) -> None:
        """Run a ``/command``. The slash goes alone first: in the roster tab it is
        what opens the input line."""
        assert text.startswith("/"), text
        await self.pane.write("/")
        await self.pane.wait_until(
            lambda screen: input_line(screen) == "/", "the input line opened by '/'"
        )
        await self._enter(text[1:])

    async def say(self, text: str) -> None:
        """Send ``text`` to the conversation in the tab shown."""
        await self._enter(text)

    async def join(self, room: str, nick: str) -> None:
        """``/join`` a room; done when poezio logs the join in the room's log."""
        await self.command(f"/join {room}/{nick}")
        await self.wait_for_info(room, rf"You \({re.escape(nick)}\) joined the room")

    async def adhoc(self, jid: str, node: str) -> None:
        """``/ad-hoc <jid>`` lists the commands in a tab of its own, the first row
        selected; move the selection to ``node`` a row at a time and run it with
        Enter. Its result opens in a form tab."""
        await self.command(f"/ad-hoc {jid}")
        rows, selected = await self._command_list(
            lambda rows, selected: node in rows and selected is not None,
            f"{node} among the commands of {jid}",
        )
        while selected != rows.index(node):
            if selected > rows.index(node):
                raise PaneError(f"the selection is past {node}: {rows}, row {selected}")
            await self.pane.press("Down")
            rows, selected = await self._command_list(
                lambda _rows, now, before=selected: now is not None and now != before,
                "the selection to move",
            )
        await self.pane.press("Enter")

    async def _command_list(
        self, check: Callable[[list[str], int | None], bool], what: str
    ) -> tuple[list[str], int]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while True:
            styled = await self.pane.styled_screen()
            rows, selected = command_rows(styled)
            if check(rows, selected):
                assert selected is not None
                return rows, selected
            if loop.time() > deadline:
                raise PaneError(f"not on screen after {TIMEOUT}s: {what}\n{SGR.sub('', styled)}")
            await asyncio.sleep(POLL_INTERVAL)

    def log(self, jid: str) -> list[LogEntry]:
        try:
            text = (self.log_dir / jid.replace("/", "\\")).read_text(errors="replace")
        except FileNotFoundError:
            return []
        return parse_log(text)

    async def wait_for_message(
        self, jid: str, nick: str, text: str, timeout: float = TIMEOUT
    ) -> LogEntry:
        """Wait until poezio has logged a message from ``nick`` in the conversation
        with ``jid`` whose text matches the regular expression ``text``."""
        pattern = re.compile(text)
        return await self._wait_for_entry(
            jid,
            lambda e: e.kind == "message" and e.nick == nick and pattern.search(e.text) is not None,
            f"a message from {nick} matching {text!r}",
            timeout,
        )

    async def wait_for_info(self, jid: str, text: str, timeout: float = TIMEOUT) -> LogEntry:
        """Wait for a logged information line (joins, the subject) matching ``text``."""
        pattern = re.compile(text)
        return await self._wait_for_entry(
            jid,
            lambda e: e.kind == "info" and pattern.search(e.text) is not None,
            f"an information line matching {text!r}",
            timeout,
        )

    async def _wait_for_entry(
        self, jid: str, check: Callable[[LogEntry], bool], what: str, timeout: float
    ) -> LogEntry:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            entries = self.log(jid)
            found = next((entry for entry in entries if check(entry)), None)
            if found is not None:
                return found
            if loop.time() > deadline:
                logged = "\n".join(str(e) for e in entries[-20:]) or "(nothing)"
                raise PaneError(
                    f"poezio's log of {jid} has no {what} after {timeout}s; it has:\n{logged}"
                )
            await asyncio.sleep(POLL_INTERVAL)

    def errors(self) -> str:
        """What poezio wrote to its own error log (tracebacks included)."""
        try:
            return (self.log_dir / "errors.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    async def stop(self, keep: Path | None = None) -> None:
        """End poezio (tmux's SIGHUP makes it quit) and remove its home, keeping its
        logs, debug log and last screen in ``keep`` if given."""
        try:
            if keep is not None:
                # Only this run's files: an earlier run's chat logs would read as this one's.
                shutil.rmtree(keep, ignore_errors=True)
                keep.mkdir(parents=True)
                try:
                    (keep / "screen.txt").write_text(await self.pane.screen())
                except PaneError as error:
                    (keep / "screen.txt").write_text(str(error))
                if self.log_dir.exists():
                    shutil.copytree(self.log_dir, keep / "logs")
                if self.debug_log.exists():
                    shutil.copy(self.debug_log, keep / "debug.log")
        finally:
            await self.pane.stop()
            shutil.rmtree(self.home, ignore_errors=True)
