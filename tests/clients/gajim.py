"""Gajim 1.7 (Debian's ``gajim`` package) as a staff member runs it, under Xvfb.

Gajim refuses to run as root, so as root the tests run it as a system user of
their own (``huddlegui``); run by anyone else, the tests run it as themselves.
Either way it gets a fresh home per run, with a prepared profile, so it logs in
with no first-run dialog: an account with the dev server's host and port,
STARTTLS, the password saved in its settings (there is no keyring under Xvfb),
and the dev server's self-signed certificate in Gajim's own trust store.

What Gajim did is judged from its own records, never from the screen:
``--verbose`` writes its log (connection and MUC states, the stanzas it received,
tracebacks), and every group chat message it accepted is a row of its SQLite store
``logs.db``. Tests poll those with a deadline. Screenshots are kept for people to
look at.

Buttons are pressed through the accessibility bus (AT-SPI), as a screen reader
would: found by their label and a text beside them, whatever the layout, and
activated without pointer coordinates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from tests.clients.display import Display, artifact_path, keep_database

USER = "huddlegui"
# Where Gajim, runuser and useradd are, whatever PATH the tests were started with.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
POLL_INTERVAL = 0.1
TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
# Gajim 1.7's settings schema (gajim/common/settings.py, CURRENT_USER_VERSION).
SETTINGS_VERSION = 5
# KindConstant.GC_MSG in gajim/common/const.py: a group chat message in logs.db.
GC_MSG = 2
# Gajim's log line for its client state (gajim/common/client.py, ClientState):
# 5 is AVAILABLE, logged in with presence sent.
AVAILABLE = re.compile(r"gajim\.client\s+\|\s+State: 5$", re.MULTILINE)
TRACEBACK = "Traceback (most recent call last)"
# The title of the dialog Gajim opens for an exception nobody caught
# (gajim/gtk/exception.py); with its output not a terminal, such an exception
# appears only there, not in the log.
ERROR_DIALOG = "^Gajim - Error$"
# The interpreter Gajim runs on: it has the GObject bindings SESSION_HELPER uses.
SYSTEM_PYTHON = "/usr/bin/python3"
# SESSION_HELPER's exit status when what it looked for is not on screen (yet).
NOT_SHOWN = 3
NS_CONFERENCE = "jabber:x:conference"
# A stanza as Gajim's log shows what it received (nbxmpp.connection, DATA RECEIVED).
RECEIVED_MESSAGE = re.compile(r"<message\b[^>]*?(?:/>|>.*?</message>)", re.DOTALL)

# Run by SYSTEM_PYTHON as Gajim's user, on Gajim's session bus; prints JSON.
#   action NAME PARAMETER       activate Gajim's application action NAME with
#                               PARAMETER (GVariant text), as a desktop
#                               notification's button does (org.gtk.Actions)
# The others read Gajim's widgets from the accessibility bus (AT-SPI 2, over D-Bus
# with Gio, so no AT-SPI client library is needed). Only widgets that are showing
# count: Gajim keeps pages it is not showing.
#   texts WINDOW                the text of every widget shown in WINDOW ("": all)
#   press WINDOW BUTTON NEAR    activate the shown push button labelled BUTTON in
#                               WINDOW that is closest to a text containing NEAR
SESSION_HELPER = r"""
import json, sys
from gi.repository import Gio, GLib

ACCESSIBLE = "org.a11y.atspi.Accessible"
REGISTRY = ("org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root")
SHOWING = 1 << 25  # ATSPI_STATE_SHOWING, in the first word of a state set

mode = sys.argv[1]
session = Gio.bus_get_sync(Gio.BusType.SESSION, None)
if mode == "action":
    parameter = [GLib.Variant.parse(None, sys.argv[3])] if sys.argv[3] else []
    session.call_sync(
        # Gajim's application id and object path (gajim/gtk/application.py).
        "org.gajim.Gajim", "/org/gajim/Gajim", "org.gtk.Actions", "Activate",
        GLib.Variant("(sava{sv})", (sys.argv[2], parameter, {})),
        None, Gio.DBusCallFlags.NONE, 5000, None)
    print("{}")
    sys.exit(0)
address = session.call_sync(
    "org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus", "GetAddress", None,
    GLib.VariantType("(s)"), Gio.DBusCallFlags.NONE, 5000, None).unpack()[0]
bus = Gio.DBusConnection.new_for_address_sync(
    address,
    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
    | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)

def call(node, method, args=None, reply=None, interface=ACCESSIBLE):
    return bus.call_sync(
        node[0], node[1], interface, method, args,
        GLib.VariantType(reply) if reply else None,
        Gio.DBusCallFlags.NONE, 5000, None).unpack()

def name(node):
    return call(node, "Get", GLib.Variant("(ss)", (ACCESSIBLE, "Name")), "(v)",
                "org.freedesktop.DBus.Properties")[0]

def children(node):
    return [tuple(child) for child in call(node, "GetChildren", None, "(a(so))")[0]]

def shown(node):
    return bool(call(node, "GetState", None, "(au)")[0][0] & SHOWING)

def texts(node):
    found = [name(node)]
    for child in children(node):
        if shown(child):
            found += texts(child)
    return found

def windows(title):
    for app in children(REGISTRY):
        for window in children(app):
            if shown(window) and (not title or name(window) == title):
                yield window

def buttons(node, label, ancestors):
    for child in children(node):
        if not shown(child):
            continue
        if (call(child, "GetRoleName", None, "(s)")[0] == "push button"
                and name(child) == label):
            yield ancestors + [node], child
        yield from buttons(child, label, ancestors + [node])

title = sys.argv[2]
if mode == "texts":
    print(json.dumps([text for window in windows(title) for text in texts(window) if text]))
    sys.exit(0)
label, near = sys.argv[3], sys.argv[4]
candidates = []
for window in windows(title):
    for ancestors, button in buttons(window, label, []):
        # The innermost container (below the window) that also shows NEAR.
        for depth in range(len(ancestors) - 1, 0, -1):
            if any(near in text for text in texts(ancestors[depth])):
                candidates.append((depth, button))
                break
if not candidates:
    sys.exit(3)
_, button = max(candidates)
pressed = call(button, "DoAction", GLib.Variant("(i)", (0,)), "(b)", "org.a11y.atspi.Action")[0]
print(json.dumps({"pressed": pressed}))
"""


class GajimError(AssertionError):
    """Gajim did not start, or never did what a test waited for."""


@dataclass(frozen=True, slots=True)
class GajimAccount:
    jid: str
    password: str
    host: str
    port: int
    certificate: Path  # PEM, trusted as Gajim trusts one a user accepted
    resource: str = "gajim"

    @property
    def user(self) -> str:
        return self.jid.split("@", 1)[0]

    @property
    def domain(self) -> str:
        return self.jid.split("@", 1)[1]


@dataclass(frozen=True, slots=True)
class LogRow:
    """One row of Gajim's ``logs`` table, with its conversation's JID."""

    id: int
    jid: str
    nick: str | None  # contact_name: the sender's nick in a group chat
    kind: int
    message: str | None
    time: float


def ensure_user(name: str = USER) -> pwd.struct_passwd:
    """The system user Gajim runs as when the tests run as root; created once."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    result = subprocess.run(
        [
            "useradd",
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            name,
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": SYSTEM_PATH},
    )
    # Another test run may have made it meanwhile (useradd then fails): fine.
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise GajimError(f"useradd {name} failed: {result.stderr.strip()}") from None


def write_profile(home: Path, account: GajimAccount, width: int, height: int) -> tuple[Path, Path]:
    """Gajim's settings database and trust store in ``home``, as Gajim 1.7 would
    have written them after its first-run dialogs; returns (config dir, data dir).

    The tables and the rows every profile has are those of Gajim's CREATE_SQL
    (gajim/common/settings.py); values are JSON, and settings left out take
    Gajim's defaults (gajim/common/setting_values.py).
    """
    config = home / ".config" / "gajim"
    data = home / ".local" / "share" / "gajim"
    cert_store = data / "cert_store"
    config.mkdir(parents=True)
    cert_store.mkdir(parents=True)
    # A certificate in the store counts as accepted: Gajim drops UNKNOWN_CA for it
    # (gajim/common/cert_store.py), as after "Add to Trusted Certificates".
    shutil.copyfile(account.certificate, cert_store / "huddle-dev.pem")
    app = {
        "use_keyring": False,
        "check_for_update": False,
        "sounds_on": False,
        "show_trayicon": False,
        "mainwin_width": width,
        "mainwin_height": height,
        "mainwin_x_position": 0,
        "mainwin_y_position": 0,
    }
    account_settings = {
        "account": {
            "active": True,
            "name": account.user,
            "hostname": account.domain,
            "resource": account.resource,
            "password": account.password,
            "savepass": True,
            "use_custom_host": True,
            "custom_host": account.host,
            "custom_port": account.port,
            "custom_type": "START TLS",
        },
        "contact": {},
        "group_chat": {},
    }
    rows = [
        ("app", app),
        ("soundevents", {}),
        ("status_presets", {}),
        ("proxies", {}),
        ("plugins", {}),
        ("workspaces", {str(uuid.uuid4()): {}}),
    ]
    db = sqlite3.connect(config / "settings.sqlite")
    try:
        db.executescript(
            "CREATE TABLE settings (name TEXT UNIQUE, settings TEXT);"
            "CREATE TABLE account_settings (account TEXT UNIQUE, settings TEXT);"
        )
        db.executemany(
            "INSERT INTO settings (name, settings) VALUES (?, ?)",
            [(name, json.dumps(value)) for name, value in rows],
        )
        db.execute(
            "INSERT INTO account_settings (account, settings) VALUES (?, ?)",
            (account.user, json.dumps(account_settings)),
        )
        db.execute(f"PRAGMA user_version={SETTINGS_VERSION}")
        db.commit()
    finally:
        db.close()
    return config, data


def _gvariant_string(value: str) -> str:
    """``value`` as a GVariant text-format string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.chown(root, uid, gid)
    for path in root.rglob("*"):
        os.chown(path, uid, gid)


class Gajim:
    """One Gajim process with its own home and its own X display.

    ``start()`` then ``wait_connected()``; ``rows()``/``wait_for_row()`` read what
    it stored; ``open_chat()`` and ``type()`` act as the user would;
    ``stop()`` ends it and every process it started.
    """

    def __init__(self, account: GajimAccount, name: str = "") -> None:
        self.account = account
        self.name = name or f"gajim-{account.user}"
        self.display = Display()
        self.home: Path | None = None
        # Written in Gajim's own home while it runs, so that another test run in the
        # same tree, with a Gajim of the same name, never writes into it; copied
        # to test-artifacts/clients/ when it stops.
        self.log_path: Path | None = None
        self._data: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._user: pwd.struct_passwd | None = None

    # -- lifecycle -------------------------------------------------------------------

    def _prepare_home(self) -> Path:
        as_root = os.geteuid() == 0
        self._user = ensure_user() if as_root else None
        # Not under pytest's tmp_path: that is private to root, and Gajim's user
        # must reach its home.
        home = Path(tempfile.mkdtemp(prefix=f"huddle-{self.name}-"))
        _, self._data = write_profile(home, self.account, self.display.width, self.display.height)
        self.log_path = home / "gajim.log"
        (home / "runtime").mkdir(mode=0o700)
        if self._user is not None:
            _chown_tree(home, self._user.pw_uid, self._user.pw_gid)
        self.home = home
        return home

    def _environment(self, home: Path) -> dict[str, str]:
        return {
            "HOME": str(home),
            "DISPLAY": self.display.name,
            "PATH": SYSTEM_PATH,
            "LANG": "C.UTF-8",
            # Also where the accessibility bus puts its socket (press(), texts()).
            "XDG_RUNTIME_DIR": str(home / "runtime"),
        }

    async def start(self) -> None:
        """Start Xvfb, then Gajim, which logs in by itself (``wait_connected``)."""
        home = self._prepare_home()
        self.display.start()
        env = self._environment(home)
        # dbus-run-session: Gajim is a GApplication and needs a session bus; a
        # private one also keeps it apart from any other Gajim on the machine.
        command = ["dbus-run-session", "--", "gajim", "--verbose"]
        if self._user is not None:
            command = [
                "runuser",
                "-u",
                self._user.pw_name,
                "--",
                "env",
                "-i",
                *(f"{key}={value}" for key, value in env.items()),
                *command,
            ]
        assert self.log_path is not None
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=home,
                # Its own process group: stop() ends Gajim, its bus and anything
                # they started, and nothing else.
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    async def stop(self) -> None:
        """Ask Gajim to quit (SIGTERM, which it handles as a normal quit), then end
        whatever of its process group is left; the display last."""
        process = self._process
        try:
            if process is not None and process.poll() is None:
                # Gajim alone: runuser, told too, would kill it two seconds later,
                # in the middle of its goodbyes. dbus-run-session and runuser end
                # when it does.
                with contextlib.suppress(GajimError, ProcessLookupError):
                    os.kill(self._gajim_pid(), signal.SIGTERM)
                loop = asyncio.get_running_loop()
                deadline = loop.time() + STOP_TIMEOUT
                while process.poll() is None and loop.time() < deadline:
                    await asyncio.sleep(POLL_INTERVAL)
            # Whatever of the group is left (a bus daemon, a helper). Its id stays
            # ours while any member lives, even once runuser has been reaped.
            if process is not None and (process.poll() is None or self._group()):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        finally:
            self.display.stop()
        # Its log and message store, for whoever reads a failure.
        if self.log_path is not None and self.log_path.exists():
            shutil.copyfile(self.log_path, artifact_path(self.name, ".log"))
        if self._data is not None and (self._data / "logs.db").exists():
            keep_database(self._data / "logs.db", self.name, "-logs.db")

    def cleanup(self) -> None:
        """Remove the home (profile, logs.db) once nothing needs it any more."""
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None

    # -- the log -------------------------------------------------------------------

    def log(self) -> str:
        if self.log_path is None:
            return ""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def mark(self) -> int:
        """Where Gajim's log ends now: ``wait_for_log(..., since=mark)`` looks after it."""
        return len(self.log())

    async def wait_for_log(
        self, pattern: str | re.Pattern[str], timeout: float = TIMEOUT, since: int = 0
    ) -> str:
        """The first match of ``pattern`` in Gajim's log (after ``since``), waiting
        for it to appear."""
        regex = re.compile(pattern, re.MULTILINE) if isinstance(pattern, str) else pattern
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = regex.search(self.log(), since)
            if found:
                return found.group(0)
            if not self.running:
                raise GajimError(
                    f"{self.name} exited while waiting for {regex.pattern!r}:\n{self._log_tail()}"
                )
            if loop.time() >= deadline:
                raise GajimError(
                    f"{self.name}: no {regex.pattern!r} in its log within {timeout}s:\n"
                    f"{self._log_tail()}"
                )
            await asyncio.sleep(POLL_INTERVAL)

    async def wait_connected(self, timeout: float = 30.0) -> None:
        await self.wait_for_log(AVAILABLE, timeout)

    async def wait_joined(self, room: str, timeout: float = TIMEOUT) -> None:
        """Gajim's MUC module says it is in ``room`` (self-presence received)."""
        await self.wait_for_log(
            rf"gajim\.c\.m\.muc\s+\|\s+\(\S+\) Set MUC state: {re.escape(room)} JOINED$", timeout
        )

    def tracebacks(self) -> list[str]:
        """Every Python traceback in Gajim's log, each with the line that announced it."""
        lines = self.log().splitlines()
        found = []
        for index, line in enumerate(lines):
            if TRACEBACK in line:
                end = index + 1
                while end < len(lines) and (lines[end].startswith(" ") or not lines[end]):
                    end += 1
                # The exception line, then the log line above the traceback.
                tail = lines[end] if end < len(lines) else ""
                found.append("\n".join([*lines[max(0, index - 1) : end], tail]))
        return found

    async def error_dialogs(self) -> list[str]:
        """Gajim's own error windows (an uncaught exception) that are open now."""
        return await self.display.windows(name=ERROR_DIALOG)

    # -- logs.db ---------------------------------------------------------------------

    @property
    def logs_db(self) -> Path:
        if self._data is None:
            raise GajimError("Gajim has no profile yet: call start() first")
        return self._data / "logs.db"

    def rows(self, jid: str | None = None) -> list[LogRow]:
        """Gajim's stored messages, oldest first; those of conversation ``jid`` if given."""
        db_path = self.logs_db
        # logs.db is in WAL mode. While Gajim has it open its -shm file exists; a
        # reader that found none would create it, owned by root, and lock Gajim out.
        if not db_path.exists() or (self.running and not db_path.with_name("logs.db-shm").exists()):
            return []
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        try:
            query = (
                "SELECT l.log_line_id, j.jid, l.contact_name, l.kind, l.message, l.time"
                " FROM logs l JOIN jids j ON j.jid_id = l.jid_id"
            )
            params: tuple[str, ...] = ()
            if jid is not None:
                query += " WHERE j.jid = ?"
                params = (jid,)
            return [LogRow(*row) for row in db.execute(query + " ORDER BY l.log_line_id", params)]
        except sqlite3.OperationalError as exc:
            # Tables are made when Gajim first opens the file.
            if "no such table" in str(exc):
                return []
            raise
        finally:
            db.close()

    async def wait_for_row(
        self, jid: str, match: Callable[[LogRow], bool], timeout: float = TIMEOUT, what: str = ""
    ) -> LogRow:
        """The first stored message of conversation ``jid`` that ``match``es."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            rows = self.rows(jid)
            for row in rows:
                if match(row):
                    return row
            if not self.running:
                raise GajimError(f"{self.name} exited while waiting for {what or match}")
            if loop.time() >= deadline:
                shown = "\n".join(f"  {r.nick!r}: {r.message!r}" for r in rows[-10:]) or "  none"
                raise GajimError(
                    f"{self.name} stored no {what or 'matching message'} for {jid} within "
                    f"{timeout}s; its last rows there:\n{shown}"
                )
            await asyncio.sleep(POLL_INTERVAL)

    # -- acting as the user ------------------------------------------------------------

    def _group(self) -> dict[int, list[bytes]]:
        """The live processes of Gajim's process group, with their command lines."""
        if self._process is None:
            return {}
        members = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getpgid(int(entry.name)) != self._process.pid:
                    continue
                members[int(entry.name)] = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
        return members

    def _gajim_pid(self) -> int:
        """The Gajim process itself (python3 running /usr/bin/gajim)."""
        for pid, argv in self._group().items():
            if len(argv) > 1 and argv[1].endswith(b"/gajim"):
                return pid
        raise GajimError(f"{self.name}: the Gajim process is not running")

    def _session_environment(self) -> dict[str, str]:
        """Gajim's own environment, with the address of its private session bus."""
        raw = Path(f"/proc/{self._gajim_pid()}/environ").read_bytes()
        pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
        return {key.decode(): value.decode() for key, value in pairs}

    async def _run_in_session(self, *command: str, timeout: float = TIMEOUT) -> tuple[int, str]:
        """Run ``command`` as Gajim's user, in Gajim's environment (its display,
        session bus and accessibility bus); returns its exit status and output."""
        env = self._session_environment()
        if self._user is not None:
            pairs = [f"{key}={value}" for key, value in env.items()]
            command = ("runuser", "-u", self._user.pw_name, "--", "env", "-i", *pairs, *command)
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
        )
        try:
            out, _ = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            shown = " ".join(part for part in command if part != SESSION_HELPER)
            raise GajimError(f"{self.name}: {shown} gave no answer in {timeout}s") from None
        assert process.returncode is not None
        return process.returncode, out.decode(errors="replace")

    async def open_chat(self, jid: str, timeout: float = TIMEOUT) -> None:
        """Show the conversation with ``jid`` (a joined room) in Gajim's window.

        Opens ``xmpp:<jid>?join`` the way a clicked link does: a second ``gajim``
        hands the URI to the running one over its session bus, which selects the
        chat it already has (gajim/gtk/application.py ``_open_uris``).
        """
        since = self.mark()
        code, out = await self._run_in_session("gajim", f"xmpp:{jid}?join", timeout=timeout)
        if code != 0:
            raise GajimError(f"gajim xmpp:{jid}?join failed: {out}")
        # The second gajim returns once the running one has handled the URI; its
        # log line says it was this one that did.
        await self.wait_for_log(
            rf"uri_handler\s+\|\s+open xmpp:{re.escape(jid)}\?join$", timeout, since
        )

    async def activate_action(self, action: str, parameter: str = "") -> None:
        """Activate Gajim's application action ``action`` (``parameter`` in GVariant
        text form) over its session bus, as a desktop notification's button or a
        launcher does (org.gtk.Actions)."""
        code, out = await self._run_in_session(
            SYSTEM_PYTHON, "-c", SESSION_HELPER, "action", action, parameter
        )
        if code != 0:
            raise GajimError(f"{self.name}: activating {action} failed: {out}")

    async def open_invitation_notification(self, sender: str) -> None:
        """What clicking Gajim's desktop notification of an invitation does: the
        account's page, with its notification rows (gajim/gtk/notification.py
        makes ``app.<account>-open-event`` the notification's action;
        gajim/gtk/application.py ``_on_open_event_action``). Xvfb has no
        notification server to show it, so the action is activated directly."""
        fields = {
            "type": "group-chat-invitation",
            "sub_type": "",
            "account": self.account.user,
            "jid": sender,
        }
        variant = ", ".join(
            f"{_gvariant_string(k)}: <{_gvariant_string(v)}>" for k, v in fields.items()
        )
        await self.activate_action(f"{self.account.user}-open-event", f"{{{variant}}}")

    async def texts(self, window: str = "") -> list[str]:
        """The text of every widget Gajim shows in the window titled ``window``
        (every window if empty), as the accessibility bus reports it."""
        code, out = await self._run_in_session(SYSTEM_PYTHON, "-c", SESSION_HELPER, "texts", window)
        if code != 0:
            raise GajimError(f"{self.name}: reading its widgets failed: {out}")
        return json.loads(out)

    async def wait_for_text(self, text: str, window: str = "", timeout: float = TIMEOUT) -> str:
        """The first widget text containing ``text`` that Gajim shows."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            shown = await self.texts(window)
            for found in shown:
                if text in found:
                    return found
            if loop.time() >= deadline:
                raise GajimError(
                    f"{self.name} shows no {text!r} within {timeout}s; it shows {shown}"
                )
            await asyncio.sleep(POLL_INTERVAL)

    async def press(
        self, button: str, near: str, window: str = "Gajim", timeout: float = TIMEOUT
    ) -> None:
        """Press the button labelled ``button`` in ``window`` that sits with a text
        containing ``near`` (the one in the innermost such group), once it is shown."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            code, out = await self._run_in_session(
                SYSTEM_PYTHON, "-c", SESSION_HELPER, "press", window, button, near
            )
            if code == 0:
                if not json.loads(out)["pressed"]:
                    raise GajimError(f"{self.name}: the {button!r} button did not take the press")
                return
            if code != NOT_SHOWN:
                raise GajimError(f"{self.name}: pressing {button!r} failed: {out}")
            if loop.time() >= deadline:
                raise GajimError(
                    f"{self.name} shows no {button!r} button by {near!r} in {window!r} within "
                    f"{timeout}s; it shows {await self.texts()}"
                )
            await asyncio.sleep(POLL_INTERVAL)

    def received_messages(self) -> list[ET.Element]:
        """Every ``<message>`` Gajim logged as received from the server, parsed."""
        found = []
        for raw in RECEIVED_MESSAGE.findall(self.log()):
            # What Gajim sent is logged too, and carries no sender.
            with contextlib.suppress(ET.ParseError):
                stanza = ET.fromstring(raw)
                if stanza.get("from"):
                    found.append(stanza)
        return found

    def invitations(self, room: str) -> list[ET.Element]:
        """The XEP-0249 invitations to ``room`` that Gajim received."""
        return [
            stanza
            for stanza in self.received_messages()
            if any(x.get("jid") == room for x in stanza.iter(f"{{{NS_CONFERENCE}}}x"))
        ]

    async def wait_for_invitation(self, room: str, sender: str, timeout: float = TIMEOUT) -> None:
        """Gajim took a message from ``sender`` for an invitation to ``room``: its MUC
        module read it (gajim/common/modules/muc.py ``_on_invite_or_decline``), asked
        the room what it is, and its account page made a notification row of it,
        then raised the desktop notification (gajim/gtk/notification_manager.py
        ``add_invitation_received``, which raises it last: the row was made)."""
        found = await self.wait_for_log(
            rf"gajim\.c\.m\.muc\s+\|\s+\(\S+\) Invite from: {re.escape(sender)}, "
            rf"to: {re.escape(room)}$",
            timeout,
        )
        since = self.log().index(found)
        handled = await self.wait_for_log(
            r"Call handler _muc_invitation_received on <account_page\.AccountPage", timeout, since
        )
        since = self.log().index(handled, since)
        # What follows the handler: the notification it raises last, or ged.py's
        # line for a handler that raised, before its traceback.
        outcome = await self.wait_for_log(
            r"Raise event: notification$|Error while running an event handler.*$", timeout, since
        )
        if outcome.startswith("Error"):
            at = self.log().index(outcome, since)
            raise GajimError(
                f"{self.name}: the invitation's handler failed:\n{self.log()[at:][:2000]}"
            )

    async def accept_invitation(
        self, room: str, sender: str, shown_as: str, timeout: float = TIMEOUT
    ) -> None:
        """Accept the invitation to ``room`` as a user does: open the notification,
        press "Show" on the row that names the room (``shown_as``: its name as the
        room gives it), then "Join" in the invitation window; returns once joined."""
        await self.wait_for_invitation(room, sender, timeout)
        await self.open_invitation_notification(sender)
        await self.press("Show", near=shown_as, timeout=timeout)
        # gajim/gtk/groupchat_invitation.py: the room's address, then Join.
        await self.press("Join", near=room, window="Group Chat Invitation", timeout=timeout)
        await self.wait_joined(room, timeout)

    async def main_window(self) -> str:
        """Gajim's main window: its visible window titled "Gajim"."""
        for window in await self.display.windows(pid=self._gajim_pid()):
            if await self.display.window_name(window) == "Gajim":
                return window
        raise GajimError(f"{self.name}: no Gajim window on {self.display.name}")

    async def type(self, text: str, enter: bool = True) -> None:
        """Type into Gajim's main window, where the open chat's message box has the
        focus, then press Return to send."""
        await self.display.focus(await self.main_window())
        await self.display.type(text, enter)

    async def screenshot(self, label: str) -> Path:
        return await self.display.screenshot(f"{self.name}-{label}")
