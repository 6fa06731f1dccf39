"""A production-like deployment for lifecycle tests: a Huddle TOML file and its Prosody.

The TOML is written here rather than by ``DevStack``, so ``huddle run`` is tested
with a file an admin could have written (``huddle.example.toml``'s keys).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from component.dev.ports import LOOPBACK, DevPorts, find_free_ports
from component.dev.prosody import ProsodyServer

SERVICE = "support.localhost"
STAFF_DOMAIN = "localhost"
VISITOR_DOMAIN = "guest.localhost"


def huddle_toml(
    component_port: int,
    *,
    secret: str | None = None,
    secret_env: str | None = None,
    reconnect_max_delay: float = 30.0,
    database: str = "huddle.sqlite",
) -> str:
    lines = [
        "[component]",
        f"jid = {json.dumps(SERVICE)}",
        f"server_host = {json.dumps(LOOPBACK)}",
        f"server_port = {component_port}",
        f"reconnect_max_delay = {reconnect_max_delay}",
    ]
    if secret is not None:
        lines.append(f"secret = {json.dumps(secret)}")
    if secret_env is not None:
        lines.append(f"secret_env = {json.dumps(secret_env)}")
    lines += [
        "",
        "[domains]",
        f"staff = [{json.dumps(STAFF_DOMAIN)}]",
        f"visitors = [{json.dumps(VISITOR_DOMAIN)}]",
        "",
        "[storage]",
        f"path = {json.dumps(database)}",
        "",
        "[logging]",
        'level = "info"',
        "",
    ]
    return "\n".join(lines)


class Deployment:
    """A Prosody (not started) and a matching Huddle config file in ``directory``."""

    def __init__(self, directory: Path, *, secret_env: str | None = None, **toml: object) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ports: DevPorts = find_free_ports()
        self.secret = secrets.token_urlsafe(18)
        # With secret_env the secret is not in the file: pass it with ``env``.
        self.env = {secret_env: self.secret} if secret_env else {}
        self.config_path = directory / "huddle.toml"
        self.config_path.write_text(
            huddle_toml(
                self.ports.component,
                secret=None if secret_env else self.secret,
                secret_env=secret_env,
                **toml,  # type: ignore[arg-type]
            )
        )
        self.prosody = ProsodyServer(
            directory / "prosody",
            self.ports,
            self.secret,
            staff_domain=STAFF_DOMAIN,
            visitor_domain=VISITOR_DOMAIN,
            service=SERVICE,
        )

    @property
    def c2s(self) -> tuple[str, int]:
        return LOOPBACK, self.ports.c2s
