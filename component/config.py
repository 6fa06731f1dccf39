"""Huddle's configuration: one TOML file, validated at start.

Every error names the offending key and value, so an admin can fix the file
without reading code. The component secret may come from an environment
variable (``component.secret_env``) instead of the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SupervisorSpeech = Literal["reveal", "whisper"]
DEFAULT_WELCOME = "Welcome! Someone from our team will be with you shortly."
LOG_LEVELS = ("debug", "info", "warning", "error")
LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN = re.compile(rf"^(?=.{{1,253}}$){LABEL}(\.{LABEL})*$")


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the key."""


@dataclass(frozen=True, slots=True)
class Config:
    service: str
    secret: str
    server_host: str = "127.0.0.1"
    server_port: int = 5347
    staff_domains: tuple[str, ...] = ()
    visitor_domains: tuple[str, ...] = ()
    database: Path = Path("huddle.sqlite")
    welcome: str = DEFAULT_WELCOME
    max_message_chars: int = 10_000
    history_size: int = 200
    supervisor_speech: SupervisorSpeech = "reveal"
    log_level: str = "info"
    reconnect_max_delay: float = 30.0
    default_team: str = "support"
    offer_timeout: float = 30.0
    grace_period: float = 120.0
    idle_timeout: float = 3600.0
    queue_update_interval: float = 10.0

    @property
    def desk(self) -> str:
        return f"desk@{self.service}"


def _get(table: Mapping[str, Any], section: str, key: str, kind: type, default: Any) -> Any:
    name = f"{section}.{key}"
    if key not in table:
        if default is _REQUIRED:
            raise ConfigError(f"{name}: required, but missing")
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{name}: expected {kind.__name__}, got {value!r}")
    return value


def _bounded(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{name}: must be between {low} and {high}, got {value!r}")


def _domain(name: str, value: str) -> str:
    if not DOMAIN.match(value):
        raise ConfigError(f"{name}: not a valid domain name: {value!r}")
    return value


def _domains(table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    values = _get(table, "domains", key, list, [])
    for value in values:
        if not isinstance(value, str):
            raise ConfigError(f"domains.{key}: expected a list of domain names, got {value!r}")
        _domain(f"domains.{key}", value)
    return tuple(values)


_REQUIRED = object()
_KEYS: dict[str, set[str]] = {
    "component": {
        "jid",
        "secret",
        "secret_env",
        "server_host",
        "server_port",
        "reconnect_max_delay",
    },
    "domains": {"staff", "visitors"},
    "storage": {"path"},
    "chat": {
        "welcome",
        "max_message_chars",
        "history_size",
        "supervisor_speech",
        "grace_period",
        "idle_timeout",
        "queue_update_interval",
    },
    "routing": {"default_team", "offer_timeout"},
    "logging": {"level"},
}
_SECTIONS = set(_KEYS)


def parse_config(
    data: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    base: Path | None = None,
    need_secret: bool = True,
) -> Config:
    """Build a Config from parsed TOML; ``base`` resolves a relative database path.

    Admin commands that only touch the database pass ``need_secret=False``.
    """
    env = os.environ if env is None else env
    unknown = set(data) - _SECTIONS
    if unknown:
        raise ConfigError(f"{sorted(unknown)[0]}: unknown section (known: {sorted(_SECTIONS)})")
    for section, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{section}: expected a table, got {table!r}")
        extra = set(table) - _KEYS[section]
        if extra:
            raise ConfigError(f"{section}.{sorted(extra)[0]}: unknown option")
    comp = data.get("component", {})
    domains = data.get("domains", {})
    storage = data.get("storage", {})
    chat = data.get("chat", {})
    logging_ = data.get("logging", {})
    routing = data.get("routing", {})

    service = _domain("component.jid", _get(comp, "component", "jid", str, _REQUIRED))
    secret = _get(comp, "component", "secret", str, "")
    secret_env = _get(comp, "component", "secret_env", str, "")
    if secret_env and secret_env in env:
        secret = env[secret_env]
    elif secret_env and need_secret:
        raise ConfigError(f"component.secret_env: environment variable {secret_env!r} is not set")
    if not secret and need_secret:
        raise ConfigError("component.secret: required (or set component.secret_env)")
    port = _get(comp, "component", "server_port", int, 5347)
    _bounded("component.server_port", port, 1, 65535)
    reconnect = _get(comp, "component", "reconnect_max_delay", float, 30.0)
    _bounded("component.reconnect_max_delay", reconnect, 0.1, 3600)

    staff = _domains(domains, "staff")
    visitors = _domains(domains, "visitors")
    if not staff:
        raise ConfigError("domains.staff: at least one staff domain is required")
    if not visitors:
        raise ConfigError("domains.visitors: at least one visitor domain is required")
    overlap = set(staff) & set(visitors)
    if overlap:
        raise ConfigError(f"domains.visitors: {sorted(overlap)[0]!r} is also a staff domain")

    database = Path(_get(storage, "storage", "path", str, "huddle.sqlite"))
    if base is not None and not database.is_absolute():
        database = base / database

    max_chars = _get(chat, "chat", "max_message_chars", int, 10_000)
    _bounded("chat.max_message_chars", max_chars, 1, 1_000_000)
    history = _get(chat, "chat", "history_size", int, 200)
    _bounded("chat.history_size", history, 0, 100_000)
    speech = _get(chat, "chat", "supervisor_speech", str, "reveal")
    if speech not in ("reveal", "whisper"):
        raise ConfigError(f"chat.supervisor_speech: expected 'reveal' or 'whisper', got {speech!r}")
    team = _get(routing, "routing", "default_team", str, "support")
    if not re.fullmatch(r"[a-z0-9-]{1,32}", team):
        raise ConfigError(f"routing.default_team: expected a team name [a-z0-9-], got {team!r}")
    offer = _get(routing, "routing", "offer_timeout", float, 30.0)
    _bounded("routing.offer_timeout", offer, 0.1, 3600)
    grace = _get(chat, "chat", "grace_period", float, 120.0)
    _bounded("chat.grace_period", grace, 0, 86400)
    idle = _get(chat, "chat", "idle_timeout", float, 3600.0)
    _bounded("chat.idle_timeout", idle, 1, 30 * 86400)
    queue_interval = _get(chat, "chat", "queue_update_interval", float, 10.0)
    _bounded("chat.queue_update_interval", queue_interval, 0, 3600)
    level = _get(logging_, "logging", "level", str, "info")
    if level not in LOG_LEVELS:
        raise ConfigError(f"logging.level: expected one of {LOG_LEVELS}, got {level!r}")

    return Config(
        service=service,
        secret=secret,
        server_host=_get(comp, "component", "server_host", str, "127.0.0.1"),
        server_port=port,
        staff_domains=staff,
        visitor_domains=visitors,
        database=database,
        welcome=_get(chat, "chat", "welcome", str, DEFAULT_WELCOME),
        max_message_chars=max_chars,
        history_size=history,
        supervisor_speech=speech,
        log_level=level,
        reconnect_max_delay=reconnect,
        default_team=team,
        offer_timeout=offer,
        grace_period=grace,
        idle_timeout=idle,
        queue_update_interval=queue_interval,
    )


def load_config(
    path: Path, env: Mapping[str, str] | None = None, need_secret: bool = True
) -> Config:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, env, base=path.parent, need_secret=need_secret)
