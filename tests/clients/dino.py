"""Dino 0.4.2 (Debian's ``dino-im``) as a staff member runs it, under Xvfb.

Dino has no server or port setting and trusts only the system's certificate
authorities, so it runs in a private network (tests/clients/netns.py): there
``localhost:5222`` is relayed to the test's Prosody and the system CA bundle
includes the dev certificate. Everything Dino needs from a desktop runs in
there with it: a session bus of its own, the accessibility bus GTK starts on
it, and tests/clients/dino_session.py (a notification server, and a reader of
Dino's accessibility tree).

The profile is prepared, so Dino logs in with no first-run dialog: Dino makes
its database on a first start with no account (its schema is Dino's own,
libdino/src/service/database.vala), then the account row is added, with the
password (Dino 0.4.2 keeps it there) and the alias, which Dino offers as the
nick when joining a room.

What Dino did is judged from its own records: every message it accepted is a
row of its SQLite database ``dino.db``; ``--print-xmpp`` writes the stanzas it
received to its stderr, kept as its log with GLib's warnings; what it shows is
read from its accessibility tree. Tests poll those with a deadline.
Screenshots are kept for people to look at.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.clients.display import Display, artifact_path, keep_database
from tests.clients.netns import PrivateNetwork, ca_bundle_with

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The session helper needs PyGObject with AT-SPI: the system's Python has them.
SYSTEM_PYTHON = "/usr/bin/python3"
SESSION_HELPER = Path(__file__).with_name("dino_session.py")
XMPP_CLIENT_PORT = 5222
POLL_INTERVAL = 0.1
HELPER_LINE_LIMIT = 64 * 1024 * 1024
TIMEOUT = 15.0
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
# Message.Type and the direction flag in libdino/src/entity/message.vala.
GROUPCHAT = 2
SENT = 1
RECEIVED = 0
# Conversation.Type in libdino/src/entity/conversation.vala.
CONVERSATION_GROUPCHAT = 1
# Stanzas --print-xmpp writes to stderr: no <auth>, which would carry the password.
PRINT_XMPP = "message|presence|iq"
# Headers of Dino's occupant list, one per affiliation (main/src/ui/occupant_menu/list.vala).
AFFILIATION_HEADERS = ("Owner", "Admin", "Member", "User")


class DinoError(AssertionError):
    """Dino did not start, or never did what a test waited for."""


@dataclass(frozen=True, slots=True)
class DinoAccount:
    jid: str
    password: str
    alias: str  # Dino's account alias: the nick its join dialog offers
    certificate: Path  # the server's certificate, trusted as a system CA
    c2s_host: str  # where the real server listens, outside the private network
    c2s_port: int
    resource: str = "dino"


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One row of Dino's ``message`` table, with its conversation's JID."""

    id: int
    jid: str
    nick: str | None  # counterpart_resource: the sender's nick in a group chat
    direction: int  # SENT or RECEIVED
    type: int
    body: str | None
    time: int


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    summary: str
    body: str
    actions: list[list[str]]  # [key, label] pairs


@dataclass(frozen=True, slots=True)
class Node:
    """One widget of Dino's accessibility tree."""

    path: list[int]
    role: str
    name: str
    description: str
    states: list[str]
    actions: list[str]
    bounds: list[int] | None = None  # [x, y, width, height] in its window, if asked for


class Dino:
    """One Dino with its own home, display, session bus and private network.

    ``start()`` then ``wait_joined()``; ``rows()``/``wait_for_row()`` read what it
    stored, ``nodes()``/``occupants()`` what it shows; ``accept_invitation()``,
    ``press()``, ``select()`` and ``type()`` act as the user would; ``stop()``
    ends it and every process it started.
    """

    def __init__(self, account: DinoAccount, name: str = "") -> None:
        self.account = account
        self.name = name or f"dino-{account.jid.split('@', 1)[0]}"
        self.display = Display()
        self.network = PrivateNetwork()
        self.home: Path | None = None
        self.log_path = artifact_path(self.name, ".log")
        self.notifications: list[Notification] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._bus: asyncio.subprocess.Process | None = None
        self._helper: asyncio.subprocess.Process | None = None
        self._helper_reader: asyncio.Task[None] | None = None
        self._replies: dict[int, asyncio.Future[Any]] = {}
        self._next_request = 0
        self._env: dict[str, str] = {}

    # -- lifecycle -------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        if self.home is None:
            raise DinoError("Dino has no home yet: call start() first")
        return self.home / ".local" / "share" / "dino"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "dino.db"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise DinoError("Dino is not started")
        # nsenter and env exec, so this is Dino itself.
        return self._process.pid

    async def start(self) -> None:
        """Everything up to a Dino that logs in by itself; on failure, whatever
        was started is stopped again."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix=f"huddle-{self.name}-"))
        runtime = self.home / "runtime"
        runtime.mkdir(mode=0o700)
        bundle = ca_bundle_with(self.account.certificate, self.home / "ca-certificates.crt")
        await self.network.start((XMPP_CLIENT_PORT,), bundle)
        await self.network.forward(XMPP_CLIENT_PORT, self.account.c2s_host, self.account.c2s_port)
        self.display.start()
        self._env = {
            "HOME": str(self.home),
            "PATH": SYSTEM_PATH,
            "LANG": "C.UTF-8",
            "DISPLAY": self.display.name,
            "XDG_RUNTIME_DIR": str(runtime),
            "GDK_BACKEND": "x11",
            # Software rendering without GL: lighter under Xvfb on a small machine.
            "GSK_RENDERER": "cairo",
            # No dconf daemon here; nothing Dino keeps in GSettings matters to a test.
            "GSETTINGS_BACKEND": "memory",
        }
        self._env["DBUS_SESSION_BUS_ADDRESS"] = await self._start_bus()
        await self._start_helper()
        await self._make_database()
        self._add_account()
        self._process = self._spawn(
            "dino-im", f"--print-xmpp={PRINT_XMPP}", log=self.log_path.open("wb")
        )
        await self._wait_for_window(self._process, self.log_path)

    def _spawn(self, *argv: str, log: Any = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
        try:
            return subprocess.Popen(
                self.network.command("env", "-i", *self._pairs(), *argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.home,
                start_new_session=True,
            )
        finally:
            if log is not subprocess.DEVNULL:
                log.close()

    def _pairs(self) -> list[str]:
        return [f"{key}={value}" for key, value in self._env.items()]

    async def _start_bus(self) -> str:
        """A session bus of Dino's own; returns its address."""
        assert self.home is not None
        self._bus = await asyncio.create_subprocess_exec(
            *self.network.command(
                "env",
                "-i",
                *self._pairs(),
                "dbus-daemon",
                "--session",
                "--nofork",
                "--nopidfile",
                f"--address=unix:path={self.home / 'bus'}",
                "--print-address",
            ),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        assert self._bus.stdout is not None
        try:
            # Printed once it accepts connections.
            line = await asyncio.wait_for(self._bus.stdout.readline(), START_TIMEOUT)
        except TimeoutError:
            raise DinoError("dbus-daemon printed no address") from None
        if not line.strip():
            raise DinoError(f"dbus-daemon exited ({await self._bus.wait()}) without an address")
        return line.decode().strip()

    async def _start_helper(self) -> None:
        self._helper = await asyncio.create_subprocess_exec(
            *self.network.command(
                "env", "-i", *self._pairs(), SYSTEM_PYTHON, "-u", str(SESSION_HELPER)
            ),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
            # One line holds the whole accessibility tree.
            limit=HELPER_LINE_LIMIT,
        )
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._helper_reader = asyncio.create_task(self._read_helper(ready))
        try:
            await asyncio.wait_for(ready, START_TIMEOUT)
        except TimeoutError:
            raise DinoError("the session helper did not start") from None

    async def _read_helper(self, ready: asyncio.Future[None]) -> None:
        assert self._helper is not None and self._helper.stdout is not None
        while line := await self._helper.stdout.readline():
            message = json.loads(line)
            if message.get("event") == "ready" and not ready.done():
                ready.set_result(None)
            elif message.get("event") == "notify":
                self.notifications.append(
                    Notification(
                        message["id"], message["summary"], message["body"], message["actions"]
                    )
                )
            elif "reply" in message:
                future = self._replies.pop(message["reply"], None)
                if future is not None and not future.done():
                    if "error" in message:
                        future.set_exception(DinoError(f"session helper: {message['error']}"))
                    else:
                        future.set_result(message["result"])
        gone = DinoError("the session helper exited")
        if not ready.done():
            ready.set_exception(gone)
        for future in self._replies.values():
            if not future.done():
                future.set_exception(gone)
        self._replies.clear()

    async def _request(self, op: str, timeout: float = TIMEOUT, **args: Any) -> Any:
        if self._helper is None or self._helper.stdin is None:
            raise DinoError("the session helper is not running")
        self._next_request += 1
        n = self._next_request
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._replies[n] = future
        self._helper.stdin.write(json.dumps({"n": n, "op": op, **args}).encode() + b"\n")
        await self._helper.stdin.drain()
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise DinoError(f"session helper: no answer to {op} in {timeout}s") from None
        finally:
            self._replies.pop(n, None)

    async def _make_database(self) -> None:
        """Start Dino once with no account, so it makes its database, and stop it."""
        log_path = artifact_path(self.name, "-first-run.log")
        first = self._spawn("dino-im", log=log_path.open("wb"))
        try:
            await self._wait_for_window(first, log_path)
        finally:
            await _terminate(first)

    async def _wait_for_window(self, process: subprocess.Popen[bytes], log_path: Path) -> None:
        """Until Dino shows a window. It opens dino.db before that, in its
        constructor, and sets WAL mode there with no busy timeout: a reader at
        that moment makes it end with "database is locked"
        (libdino/src/service/database.vala). Once a window is up, reading is safe.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while not await self.display.windows(pid=process.pid):
            if process.poll() is not None:
                raise DinoError(
                    f"{self.name} exited ({process.returncode}) before showing a window:\n"
                    f"{_tail(log_path)}"
                )
            if loop.time() >= deadline:
                raise DinoError(f"{self.name} showed no window in {START_TIMEOUT}s")
            await asyncio.sleep(POLL_INTERVAL)

    def _add_account(self) -> None:
        account = self.account
        db = sqlite3.connect(self.db_path, timeout=5)
        try:
            db.execute(
                "INSERT INTO account (bare_jid, resourcepart, password, alias, enabled)"
                " VALUES (?, ?, ?, ?, 1)",
                (account.jid, account.resource, account.password, account.alias),
            )
            # The main window fills the display, so screenshots show all of it.
            for key, value in (
                ("window_width", self.display.width),
                ("window_height", self.display.height),
            ):
                db.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, str(value)),
                )
            db.commit()
        finally:
            db.close()

    async def stop(self) -> None:
        """End Dino, then its private network, whose holder kills whatever is left
        in it (the helper, the bus and what the bus started); then the display.
        Keeps a copy of dino.db."""
        try:
            if self._process is not None:
                await _terminate(self._process)
            if self._helper is not None and self._helper.stdin is not None:
                self._helper.stdin.close()
        finally:
            try:
                await self.network.stop()
            finally:
                self.display.stop()
                for process in (self._helper, self._bus):
                    if process is not None and process.returncode is None:
                        with contextlib.suppress(ProcessLookupError):
                            process.kill()
                        await process.wait()
                if self._helper_reader is not None:
                    self._helper_reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await self._helper_reader
                self._keep_database()

    def _keep_database(self) -> None:
        if self.home is None or not self.db_path.exists():
            return
        keep_database(self.db_path, self.name, "-dino.db")

    def cleanup(self) -> None:
        """Remove the home (profile, dino.db) once nothing needs it any more."""
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None

    # -- the log ---------------------------------------------------------------------

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _log_tail(self) -> str:
        return _tail(self.log_path)

    def problems(self) -> list[str]:
        """GLib's CRITICAL and ERROR lines in Dino's log: a failed assertion or a
        null dereference Dino survived, or the reason it ended."""
        return [
            line
            for line in self.log().splitlines()
            if "-CRITICAL **" in line or "-ERROR **" in line or "Segmentation fault" in line
        ]

    # -- waiting -------------------------------------------------------------------

    async def _poll(
        self,
        probe: Callable[[], Any],
        timeout: float,
        what: str,
        explain: Callable[[], str] | None = None,
    ) -> Any:
        process = self._process
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = probe()
            if found:
                return found
            if process is None or process.poll() is not None:
                code = None if process is None else process.returncode
                raise DinoError(
                    f"{self.name} exited ({code}) while waiting for {what}:\n{self._log_tail()}"
                )
            if loop.time() >= deadline:
                detail = explain() if explain else self._log_tail()
                raise DinoError(f"{self.name}: no {what} within {timeout}s:\n{detail}")
            await asyncio.sleep(POLL_INTERVAL)

    # -- dino.db -----------------------------------------------------------------------

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.home is None or not self.db_path.exists():
            return []
        # Dino keeps dino.db in WAL mode; a read-only reader never writes to it.
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            # Tables are made when Dino first opens the file.
            if "no such table" in str(exc):
                return []
            raise
        finally:
            db.close()

    def rows(self, jid: str | None = None) -> list[MessageRow]:
        """Dino's stored messages, oldest first; those of conversation ``jid`` if given."""
        query = (
            "SELECT m.id, j.bare_jid, m.counterpart_resource, m.direction, m.type, m.body,"
            " m.time FROM message m JOIN jid j ON j.id = m.counterpart_id"
        )
        params: tuple[str, ...] = ()
        if jid is not None:
            query += " WHERE j.bare_jid = ?"
            params = (jid,)
        return [MessageRow(*row) for row in self._query(query + " ORDER BY m.id", params)]

    async def wait_for_row(
        self,
        jid: str,
        match: Callable[[MessageRow], bool],
        timeout: float = TIMEOUT,
        what: str = "",
    ) -> MessageRow:
        """The first stored message of conversation ``jid`` that ``match``es."""

        def explain() -> str:
            rows = self.rows(jid)
            shown = "\n".join(f"  {r.nick!r}: {r.body!r}" for r in rows[-10:]) or "  none"
            return f"its last rows for {jid}:\n{shown}"

        return await self._poll(
            lambda: next((row for row in self.rows(jid) if match(row)), None),
            timeout,
            what or "matching message",
            explain=explain,
        )

    def joined(self, room: str) -> bool:
        """Dino has an open group chat conversation for ``room``: it makes one when
        the room accepts its presence (libdino/src/service/muc_manager.vala, join)."""
        return bool(
            self._query(
                "SELECT 1 FROM conversation c JOIN jid j ON j.id = c.jid_id"
                " WHERE j.bare_jid = ? AND c.type = ? AND c.active = 1",
                (room, CONVERSATION_GROUPCHAT),
            )
        )

    async def wait_joined(self, room: str, timeout: float = START_TIMEOUT) -> None:
        await self._poll(lambda: self.joined(room), timeout, f"conversation for {room}")

    # -- notifications -------------------------------------------------------------------

    async def wait_for_notification(
        self, match: Callable[[Notification], bool], timeout: float = TIMEOUT, what: str = ""
    ) -> Notification:
        def probe() -> Notification | None:
            return next((n for n in self.notifications if match(n)), None)

        def explain() -> str:
            shown = "\n".join(f"  {n.summary!r}: {n.body!r}" for n in self.notifications)
            return f"its notifications:\n{shown or '  none'}"

        return await self._poll(probe, timeout, what or "matching notification", explain=explain)

    async def invoke(self, notification: Notification, action: str) -> None:
        """Click ``action`` (a key of its actions) on the notification."""
        if action not in (key for key, _label in notification.actions):
            raise DinoError(f"notification {notification.summary!r} has no action {action!r}")
        await self._request("invoke", id=notification.id, action=action)

    async def accept_invitation(self, notification: Notification, room: str) -> None:
        """Click "Accept" on the invitation to ``room``.

        Dino listens for the notification's actions only once the server has
        answered its Notify call; in the same step it makes a conversation for
        the room (main/src/ui/notifier_freedesktop.vala, notify_muc_invite). So
        that row in dino.db says a click now is heard.
        """
        await self._poll(
            lambda: self._query(
                "SELECT 1 FROM conversation c JOIN jid j ON j.id = c.jid_id WHERE j.bare_jid = ?",
                (room,),
            ),
            TIMEOUT,
            f"conversation made for the invitation to {room}",
        )
        await self.invoke(notification, "accept")

    # -- the accessibility tree ---------------------------------------------------------

    async def nodes(self, bounds: bool = False) -> list[Node]:
        """Dino's widgets, in document order, as its accessibility tree has them;
        with where each is in its window if ``bounds``."""
        return [Node(**node) for node in await self._request("nodes", extents=bounds)]

    async def wait_for_nodes(
        self,
        match: Callable[[list[Node]], Any],
        timeout: float = TIMEOUT,
        what: str = "",
        bounds: bool = False,
    ) -> Any:
        """``match(nodes)`` once it is true, reading the tree again until then."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            nodes = await self.nodes(bounds)
            found = match(nodes)
            if found:
                return found
            if not self.running:
                raise DinoError(f"{self.name} exited while waiting for {what}")
            if loop.time() >= deadline:
                shown = ", ".join(repr(n.name) for n in nodes if n.name)
                raise DinoError(f"{self.name} shows no {what} within {timeout}s; it shows {shown}")
            await asyncio.sleep(POLL_INTERVAL)

    async def press(self, node: Node, action: str = "click") -> None:
        if not await self._request("act", path=node.path, action=action):
            raise DinoError(f"{self.name}: {action} on {node.role} {node.name!r} failed")

    async def wait_for_dialog(self, title: str, timeout: float = TIMEOUT) -> list[Node]:
        """The widgets of the dialog titled ``title``, once it is open."""

        def dialog(nodes: list[Node]) -> list[Node] | None:
            top = next((n for n in nodes if n.role == "dialog" and n.name == title), None)
            return None if top is None else within(nodes, top)

        return await self.wait_for_nodes(dialog, timeout, f"{title!r} dialog")

    async def occupants(
        self,
        until: Callable[[dict[str, list[str]]], bool] = lambda _groups: True,
        timeout: float = TIMEOUT,
        screenshot: str = "",
    ) -> dict[str, list[str]]:
        """The open group chat's occupant list as Dino shows it, by affiliation
        header ("Owner", "Admin", "Member", "User"), once ``until`` it; opened
        from the title bar's "Members" button (and a ``screenshot`` taken) and
        closed again."""
        nodes = await self.nodes()
        button = members_button(nodes)
        # The menu button around the toggle says whether the popover is open. The
        # popover's widgets exist while it is closed too, and a press takes
        # effect a moment later: wait for the state after each press.
        toggle = button.path[:-1]

        def expanded(nodes: list[Node]) -> bool:
            return any(n.path == toggle and "expanded" in n.states for n in nodes)

        def shown(nodes: list[Node]) -> dict[str, list[str]] | None:
            if not expanded(nodes):
                return None
            groups = occupant_groups(within(nodes, button, levels=1))
            return groups if groups is not None and until(groups) else None

        await self.press(button)
        try:
            groups = await self.wait_for_nodes(shown, timeout, "occupant list", bounds=True)
            if screenshot:
                await self.screenshot(screenshot)
            return groups
        finally:
            if expanded(await self.nodes()):
                await self.press(button)
            await self.wait_for_nodes(
                lambda nodes: not expanded(nodes), timeout, "occupant list closed"
            )

    async def select(self, room: str) -> None:
        """Show the conversation with ``room``, as a click on a notification of
        it does (Dino's ``app.open-conversation`` action with its id in dino.db)."""
        found = self._query(
            "SELECT c.id FROM conversation c JOIN jid j ON j.id = c.jid_id WHERE j.bare_jid = ?",
            (room,),
        )
        if not found:
            raise DinoError(f"{self.name} has no conversation with {room}")
        await self._request("activate", action="open-conversation", parameter=f"{found[0][0]}")

    # -- acting as the user ------------------------------------------------------------

    async def main_window(self) -> str:
        """Dino's main window: the largest of its visible windows."""
        windows = await self.display.windows(pid=self.pid)
        if not windows:
            raise DinoError(f"{self.name}: no Dino window on {self.display.name}")
        sizes = []
        for window in windows:
            geometry = await self.display.run("xdotool", "getwindowgeometry", "--shell", window)
            fields = dict(line.split("=", 1) for line in geometry.split() if "=" in line)
            sizes.append((int(fields.get("WIDTH", 0)) * int(fields.get("HEIGHT", 0)), window))
        return max(sizes)[1]

    async def type(self, text: str, enter: bool = True) -> None:
        """Type into Dino's main window, where the open conversation's message box
        has the focus, then press Return to send."""
        await self.display.focus(await self.main_window())
        await self.display.type(text, enter)

    async def screenshot(self, label: str) -> Path:
        return await self.display.screenshot(f"{self.name}-{label}")


def within(nodes: list[Node], top: Node, levels: int = 0) -> list[Node]:
    """The nodes in the subtree of ``top``'s ancestor ``levels`` up (``top`` itself: 0)."""
    root = top.path[: len(top.path) - levels]
    return [n for n in nodes if n.path[: len(root)] == root]


def button(nodes: list[Node], label: str) -> Node | None:
    """The push button named ``label``, or whose own label says ``label``."""
    for node in nodes:
        if node.role != "push button" or "click" not in node.actions:
            continue
        labels = [n.name for n in nodes if n.path[:-1] == node.path and n.role == "label"]
        if node.name == label or label in labels:
            return node
    return None


def members_button(nodes: list[Node]) -> Node:
    """The title bar's occupant list toggle (main/src/ui/conversation_titlebar/
    occupants_entry.vala: a menu button whose tooltip is "Members")."""
    found = [
        n
        for n in nodes
        if n.role == "push button" and n.description == "Members" and "click" in n.actions
    ]
    if not found:
        raise DinoError("Dino shows no Members button: no group chat is open")
    return found[-1]


def occupant_groups(nodes: list[Node]) -> dict[str, list[str]] | None:
    """Occupants by affiliation, read from the widgets of Dino's occupant popover
    as a person reads it: each name under the nearest header above it. None
    while the list is not laid out yet.

    Dino heads each affiliation's group (Owner, Admin, Member, User) with its
    name and size (main/src/ui/occupant_menu/list.vala); the accessibility tree
    lists the headers apart from the rows, so only their places on screen tie
    a name to its header.
    """
    lists = [n for n in nodes if n.role == "list"]
    if not lists:
        return None
    labels = [n for n in within(nodes, lists[0]) if n.role == "label"]
    headers: list[tuple[int, str]] = []
    header_parents = set()
    for node in labels:
        if node.name not in AFFILIATION_HEADERS or node.bounds is None:
            continue
        # A header is the affiliation's name beside its size.
        if any(n.path[:-1] == node.path[:-1] and n.name.isdigit() for n in labels):
            headers.append((node.bounds[1], node.name))
            header_parents.add(tuple(node.path[:-1]))
    rows = [n for n in labels if tuple(n.path[:-1]) not in header_parents]
    if not headers or not rows or any(n.bounds is None or n.bounds[3] <= 0 for n in rows):
        return None
    headers.sort()
    groups: dict[str, list[str]] = {}
    for row in sorted(rows, key=lambda n: (n.bounds or [0, 0])[1]):
        above = [name for y, name in headers if y <= (row.bounds or [0, 0])[1]]
        if not above:
            return None
        groups.setdefault(above[-1], []).append(row.name)
    return groups


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


async def _terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (GLib's default action: Dino ends at once; dino.db is committed as
    it goes), then SIGKILL to what is left of its process group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(asyncio.to_thread(process.wait), STOP_TIMEOUT)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await asyncio.to_thread(process.wait)
