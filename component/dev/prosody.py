"""A dev/test Prosody 0.12: config from the template, accounts, and its process."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import string
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from component import shipped
from component.addressing import upload_service
from component.dev.certs import Certificate, ensure_certificate
from component.dev.ports import LOOPBACK, DevPorts, port_is_free

TEMPLATE = shipped.path("prosody/dev.cfg.lua.in")
# mod_firewall rules that keep visitors to the support service; the dev and the
# production configs load the same rules.
FENCE_TEMPLATE = shipped.path("prosody/visitor-fence.pfw.in")
FENCE_FILE = "visitor-fence.pfw"
# mod_c2s_conn_throttle on the visitor host: new connections per address per
# window. The test suite logs in hundreds of visitors from 127.0.0.1 a minute;
# production is far stricter (component/prosody_config.py).
DEV_VISITOR_LOGINS = 100_000
VISITOR_LOGIN_WINDOW = 60
POLL_INTERVAL = 0.05
LOG_TAIL_LINES = 40
# Prosody keeps running after many startup failures (a port it cannot bind, a
# pidfile it cannot write, a module that fails to load), logging them at error
# level and serving without the broken part; such a start counts as failed.
STARTUP_ERROR = "\terror\t"


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """What one XEP-0363 upload service (Prosody's mod_http_file_share) takes."""

    file_mib: int  # the largest file
    daily_mib: int  # per account in 24 hours; a visitor's account is one session
    total_mib: int  # all files the service holds at once
    days: int  # files are deleted this long after their upload


# Visitors are strangers, and every login is a new account with a fresh daily
# quota: smaller files, and a cap on what all of them together may store.
VISITOR_UPLOADS = UploadLimits(file_mib=5, daily_mib=20, total_mib=1024, days=7)
STAFF_UPLOADS = UploadLimits(file_mib=10, daily_mib=100, total_mib=10240, days=7)


def upload_values(staff_domain: str, visitor_domain: str) -> dict[str, str | int]:
    """The upload services' names and limits, for the config templates."""
    values: dict[str, str | int] = {
        "staff_upload": lua_string(upload_service(staff_domain)),
        "visitor_upload": lua_string(upload_service(visitor_domain)),
    }
    for who, limits in (("staff", STAFF_UPLOADS), ("visitor", VISITOR_UPLOADS)):
        values.update({f"{who}_upload_{k}": v for k, v in asdict(limits).items()})
    return values


class ProsodyError(RuntimeError):
    """Prosody or prosodyctl failed; the message carries the tail of its log."""


def lua_string(value: str) -> str:
    """Escape ``value`` for use between double quotes in a Lua string literal."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def render_fence(visitor_domain: str, service: str, template: Path = FENCE_TEMPLATE) -> str:
    """The visitor fence's mod_firewall rules for these hosts."""
    return string.Template(template.read_text()).substitute(
        visitor_domain=visitor_domain,
        service=service,
        visitor_upload=upload_service(visitor_domain),
    )


def _read_from(path: Path, offset: int = 0) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


def _tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


async def _accepts(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection(LOOPBACK, port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


class ProsodyServer:
    """One Prosody process whose config, data, certificate and logs live in ``state_dir``."""

    def __init__(
        self,
        state_dir: Path,
        ports: DevPorts,
        secret: str,
        *,
        staff_domain: str = "localhost",
        visitor_domain: str = "guest.localhost",
        service: str = "support.localhost",
        static_path: str = "/chat",
        template: Path = TEMPLATE,
        visitor_logins: int = DEV_VISITOR_LOGINS,
        visitor_login_window: int = VISITOR_LOGIN_WINDOW,
    ) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.ports = ports
        self.secret = secret
        self.staff_domain = staff_domain
        self.visitor_domain = visitor_domain
        self.service = service
        self.static_path = static_path
        self.template = template
        self.visitor_logins = visitor_logins
        self.visitor_login_window = visitor_login_window
        self.config_path = self.state_dir / "prosody.cfg.lua"
        self.fence_path = self.state_dir / FENCE_FILE
        self.data_dir = self.state_dir / "prosody-data"
        self.www_dir = self.state_dir / "www"
        self.log_path = self.state_dir / "prosody.log"
        # Prosody's own stdout/stderr: startup errors that happen before logging is set up.
        self.output_path = self.state_dir / "prosody.out"
        self.pid_path = self.state_dir / "prosody.pid"
        self._process: asyncio.subprocess.Process | None = None
        # Where this run's part of prosody.log begins: the log is kept across
        # restarts, but startup checks and error tails look at this run only.
        self._log_offset = 0

    @property
    def muc_domain(self) -> str:
        return f"muc.{self.staff_domain}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def certificate(self) -> Certificate:
        return ensure_certificate(self.state_dir / "certs", self.staff_domain)

    def write_config(self) -> Path:
        """Write ``prosody.cfg.lua``, the visitor fence's rules and (once) the
        certificate; returns the config path."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        self.www_dir.mkdir(exist_ok=True)
        cert = self.certificate()
        template = self.template.read_text()
        # A template that does not load these rules may sit beside its own copy
        # (the production config in tests/prosody_config), which must stay as written.
        if "$fence_rules" in template:
            self.fence_path.write_text(render_fence(self.visitor_domain, self.service))
        text = string.Template(template).substitute(
            run_as_root="true" if os.geteuid() == 0 else "false",
            pidfile=lua_string(str(self.pid_path)),
            data_path=lua_string(str(self.data_dir)),
            log_file=lua_string(str(self.log_path)),
            c2s_port=self.ports.c2s,
            component_port=self.ports.component,
            http_port=self.ports.http,
            certificate=lua_string(str(cert.cert)),
            key=lua_string(str(cert.key)),
            www_dir=lua_string(str(self.www_dir)),
            static_path=lua_string(self.static_path),
            staff_domain=lua_string(self.staff_domain),
            visitor_domain=lua_string(self.visitor_domain),
            service=lua_string(self.service),
            component_secret=lua_string(self.secret),
            fence_rules=lua_string(str(self.fence_path)),
            visitor_logins=self.visitor_logins,
            visitor_login_window=self.visitor_login_window,
            **upload_values(self.staff_domain, self.visitor_domain),
        )
        self.config_path.write_text(text)
        # The component secret is in it.
        self.config_path.chmod(0o600)
        return self.config_path

    async def register(self, user: str, host: str, password: str, timeout: float = 20.0) -> None:
        """Create the account, or reset its password if it exists. Works while running."""
        if not self.config_path.exists():
            self.write_config()
        process = await asyncio.create_subprocess_exec(
            "prosodyctl",
            "--config",
            str(self.config_path),
            "register",
            user,
            host,
            password,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise ProsodyError(
                f"prosodyctl register {user}@{host}: no answer in {timeout}s"
            ) from None
        if process.returncode != 0:
            raise ProsodyError(
                f"prosodyctl register {user}@{host} failed ({process.returncode}): "
                f"{output.decode(errors='replace').strip()}"
            )

    async def start(self, timeout: float = 20.0) -> None:
        """Launch Prosody and return once its c2s, component and HTTP ports accept."""
        if self.running:
            raise ProsodyError(f"already running (pid {self.pid})")
        busy = [port for port in self.ports.all() if not port_is_free(port)]
        if busy:
            raise ProsodyError(f"ports {busy} are already in use; choose other ports")
        self.write_config()
        self._log_offset = _size(self.log_path)
        with self.output_path.open("wb") as output:
            self._process = await asyncio.create_subprocess_exec(
                "prosody",
                "--config",
                str(self.config_path),
                "-F",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                # Own process group: signals aimed at us (Ctrl-C) do not reach it
                # directly, and stop() can signal everything it may have spawned.
                start_new_session=True,
            )
        _live.add(self._process)
        try:
            await self._wait_until_listening(timeout)
        except BaseException:
            await self.stop()
            raise

    async def _wait_until_listening(self, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        waiting = list(self.ports.all())
        while True:
            if self._process.returncode is not None:
                raise ProsodyError(
                    f"prosody exited with status {self._process.returncode} while starting\n"
                    f"{self._logs()}"
                )
            self._raise_on_logged_error()
            waiting = [port for port in waiting if not await _accepts(port)]
            # Ports accept as soon as their module binds them, while later modules
            # are still loading; the pidfile is written by one of those, so an
            # error logged by it has not necessarily happened yet.
            if not waiting and self._pidfile_written():
                break
            if time.monotonic() > deadline:
                what = f"open ports {waiting}" if waiting else f"write {self.pid_path}"
                raise ProsodyError(f"prosody did not {what} within {timeout}s\n{self._logs()}")
            await asyncio.sleep(POLL_INTERVAL)
        # Once more: an error logged between the last check and the last port opening.
        self._raise_on_logged_error()

    def _pidfile_written(self) -> bool:
        assert self._process is not None
        try:
            return self.pid_path.read_text().strip() == str(self._process.pid)
        except OSError:
            return False

    def _raise_on_logged_error(self) -> None:
        for line in self._this_run_log().splitlines():
            if STARTUP_ERROR in line:
                raise ProsodyError(
                    f"prosody logged errors while starting: {line.strip()}\n{self._logs()}"
                )

    def _this_run_log(self) -> str:
        return _read_from(self.log_path, self._log_offset)

    def _logs(self) -> str:
        return (
            f"--- {self.output_path} ---\n{_tail(_read_from(self.output_path))}\n"
            f"--- {self.log_path} ---\n{_tail(self._this_run_log())}"
        )

    async def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout``; returns once the process is reaped."""
        process = self._process
        if process is None:
            return
        try:
            if process.returncode is None:
                _signal_group(process.pid, signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), timeout)
                except TimeoutError:
                    _signal_group(process.pid, signal.SIGKILL)
                    await process.wait()
        finally:
            _live.discard(process)
            self._process = None

    async def restart(self, timeout: float = 20.0) -> None:
        await self.stop()
        await self.start(timeout)

    async def __aenter__(self) -> ProsodyServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


# Prosodies started and not yet stopped: killed at interpreter exit, so a
# crashed test run or an unhandled exception never leaves one behind.
_live: set[asyncio.subprocess.Process] = set()


@atexit.register
def _kill_leftovers() -> None:
    for process in list(_live):
        # Only while unreaped: after that the group id may belong to someone else.
        if process.returncode is None:
            _signal_group(process.pid, signal.SIGKILL)
