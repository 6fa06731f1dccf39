"""``huddle dev`` as a context manager: Prosody, demo staff and the component, together."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from component.addressing import upload_service
from component.config import Config, load_config
from component.dev.ports import LOOPBACK, DevPorts, find_free_ports
from component.dev.prosody import ProsodyServer
from component.dev.web import CONSOLE_PATH, WIDGET_PATH, install_pages
from storage.database import open_database
from storage.staff import Role, StaffDirectory, StaffError, StaffMember

if TYPE_CHECKING:
    from component.app import Huddle

DEFAULT_STATE_DIR = Path(".huddle-dev")
STAFF_DOMAIN = "localhost"
VISITOR_DOMAIN = "guest.localhost"
SERVICE = "support.localhost"
COMPONENT_START_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class DemoStaff:
    user: str
    role: Role
    team: str
    name: str


DEMO_STAFF: tuple[DemoStaff, ...] = (
    DemoStaff("jennie", "agent", "support", "Jennie"),
    DemoStaff("josh", "agent", "accounts", "Josh"),
    DemoStaff("john", "supervisor", "accounts", "John"),
    DemoStaff("admin", "admin", "support", "Admin"),
)


@dataclass(frozen=True, slots=True)
class DevAccount:
    jid: str
    password: str
    role: Role
    team: str
    name: str


@dataclass(frozen=True, slots=True)
class DevInfo:
    """How to reach the running stack; written to ``dev.json`` for tools and tests."""

    c2s_host: str
    c2s_port: int
    service: str
    desk: str
    staff_domain: str
    visitor_domain: str
    # XEP-0363 upload services: where staff and visitors ask for upload slots.
    staff_upload: str
    visitor_upload: str
    http_url: str
    websocket_url: str
    widget_url: str
    console_url: str
    accounts: tuple[DevAccount, ...]

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["accounts"] = [asdict(account) for account in self.accounts]
        return data


def _component_toml(service: str, secret: str, port: int) -> str:
    # json.dumps writes a valid TOML basic string for the ASCII values used here.
    return (
        "# Written by `huddle dev`; regenerated (with a new secret) on every run.\n"
        "[component]\n"
        f"jid = {json.dumps(service)}\n"
        f"secret = {json.dumps(secret)}\n"
        f"server_host = {json.dumps(LOOPBACK)}\n"
        f"server_port = {port}\n\n"
        "[domains]\n"
        f"staff = [{json.dumps(STAFF_DOMAIN)}]\n"
        f"visitors = [{json.dumps(VISITOR_DOMAIN)}]\n\n"
        "[storage]\n"
        'path = "huddle.sqlite"\n\n'
        "[logging]\n"
        'level = "info"\n'
    )


class DevStack:
    """Prosody on free loopback ports, demo staff accounts, and (optionally) the component.

    ``dev.json`` exists in the state directory exactly while the stack is up, so
    a tool that finds it can connect.
    """

    def __init__(
        self,
        state_dir: Path = DEFAULT_STATE_DIR,
        ports_from: int | None = None,
        *,
        start_component: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.ports_from = ports_from
        self.start_component = start_component
        self._progress = progress or (lambda _line: None)
        self.info_path = self.state_dir / "dev.json"
        self.config_path = self.state_dir / "huddle.toml"
        self._prosody: ProsodyServer | None = None
        self._config: Config | None = None
        self._info: DevInfo | None = None
        self._huddle: Huddle | None = None

    @property
    def prosody(self) -> ProsodyServer:
        if self._prosody is None:
            raise RuntimeError("DevStack is not started")
        return self._prosody

    @property
    def config(self) -> Config:
        if self._config is None:
            raise RuntimeError("DevStack is not started")
        return self._config

    @property
    def info(self) -> DevInfo:
        if self._info is None:
            raise RuntimeError("DevStack is not started")
        return self._info

    @property
    def huddle(self) -> Huddle | None:
        """The in-process component, or None when started with ``start_component=False``."""
        return self._huddle

    async def start(self) -> None:
        """Bring everything up; on failure, whatever was started is stopped again."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # A dev.json left by a run that crashed describes ports nobody listens on.
        self.info_path.unlink(missing_ok=True)
        ports = find_free_ports(self.ports_from)
        secret = secrets.token_urlsafe(24)
        self.config_path.write_text(_component_toml(SERVICE, secret, ports.component))
        # The component secret is in it.
        self.config_path.chmod(0o600)
        self._config = load_config(self.config_path)

        prosody = ProsodyServer(
            self.state_dir,
            ports,
            secret,
            staff_domain=STAFF_DOMAIN,
            visitor_domain=VISITOR_DOMAIN,
            service=SERVICE,
            # The whole www folder at /, so the widget (/chat/) and the staff
            # console (/console/) share one copy of Converse.js (/converse/).
            static_path="/",
        )
        self._prosody = prosody
        prosody.write_config()
        missing = install_pages(prosody.www_dir)
        if missing:
            self._progress(f"Warning: {missing}")
        self._progress(
            f"Starting Prosody on ports {ports.c2s} (c2s), {ports.component} (component), "
            f"{ports.http} (http); logs in {prosody.log_path}"
        )
        await prosody.start()

        accounts = await self._register_demo_staff(prosody)
        await self._add_to_directory(accounts)

        if self.start_component:
            from component.app import Huddle  # only needed when running the component

            self._progress(f"Starting the Huddle component {SERVICE}")
            huddle = Huddle(self._config)
            self._huddle = huddle
            await huddle.start(timeout=COMPONENT_START_TIMEOUT)
            self._progress(f"Component {SERVICE} connected")

        self._info = self._describe(ports, accounts)
        self.info_path.write_text(json.dumps(self._info.to_json(), indent=2) + "\n")
        # It holds the demo passwords.
        self.info_path.chmod(0o600)

    async def _register_demo_staff(self, prosody: ProsodyServer) -> tuple[DevAccount, ...]:
        accounts = []
        for demo in DEMO_STAFF:
            # A new password every run: the old ones were printed to a terminal.
            password = secrets.token_urlsafe(9)
            await prosody.register(demo.user, STAFF_DOMAIN, password)
            jid = f"{demo.user}@{STAFF_DOMAIN}"
            self._progress(f"Registered {jid} ({demo.role}, team {demo.team})")
            accounts.append(DevAccount(jid, password, demo.role, demo.team, demo.name))
        return tuple(accounts)

    async def _add_to_directory(self, accounts: tuple[DevAccount, ...]) -> None:
        async with await open_database(self.config.database) as db:
            directory = StaffDirectory(db)
            for account in accounts:
                member = StaffMember(account.jid, account.role, account.team, account.name)
                try:
                    # Update, not remove and re-add: a rerun on the same state dir
                    # keeps whatever else the database holds about these people.
                    if await directory.get(account.jid) is None:
                        await directory.add(member)
                    else:
                        await directory.update(member)
                except StaffError as exc:
                    raise StaffError(f"demo staff {account.jid}: {exc}") from exc
        self._progress(f"Staff directory {self.config.database}: demo staff added")

    def _describe(self, ports: DevPorts, accounts: tuple[DevAccount, ...]) -> DevInfo:
        # "localhost", not 127.0.0.1: Prosody routes HTTP by the Host header.
        http_url = f"http://{STAFF_DOMAIN}:{ports.http}/"
        return DevInfo(
            c2s_host=LOOPBACK,
            c2s_port=ports.c2s,
            service=SERVICE,
            desk=self.config.desk,
            staff_domain=STAFF_DOMAIN,
            visitor_domain=VISITOR_DOMAIN,
            staff_upload=upload_service(STAFF_DOMAIN),
            visitor_upload=upload_service(VISITOR_DOMAIN),
            http_url=http_url,
            websocket_url=f"ws://{STAFF_DOMAIN}:{ports.http}/xmpp-websocket",
            widget_url=f"{http_url}{WIDGET_PATH.lstrip('/')}",
            console_url=f"{http_url}{CONSOLE_PATH.lstrip('/')}",
            accounts=accounts,
        )

    async def stop(self) -> None:
        """Stop the component, then Prosody; safe to call more than once."""
        self.info_path.unlink(missing_ok=True)
        huddle, self._huddle = self._huddle, None
        try:
            if huddle is not None:
                await huddle.stop()
        finally:
            if self._prosody is not None:
                await self._prosody.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
