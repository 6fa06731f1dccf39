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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from roles.alerts import Alerts
from roles.coaching import CoachingPolicy
from roles.limits import Rate
from roles.mail import mail_address

SupervisorSpeech = Literal["reveal", "whisper"]
DEFAULT_WELCOME = "Welcome! Someone from our team will be with you shortly."
LOG_LEVELS = ("debug", "info", "warning", "error")
LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN = re.compile(rf"^(?=.{{1,253}}$){LABEL}(\.{LABEL})*$")


VISITOR_MESSAGES = Rate(1.0, 20)
STAFF_MESSAGES = Rate(5.0, 50)
PRESENCE = Rate(1.0, 20)


@dataclass(frozen=True, slots=True)
class Limits:
    """What one visitor or staff member may ask of the service (``[limits]``)."""

    chats_per_visitor: int = 3
    waiting_chats: int = 100
    visitor_messages: Rate = VISITOR_MESSAGES
    staff_messages: Rate = STAFF_MESSAGES
    presence: Rate = PRESENCE
    max_id_chars: int = 128
    max_status_chars: int = 300
    left_messages_per_chat: int = 20
    archive_messages_per_chat: int = 5000


@dataclass(frozen=True, slots=True)
class Smtp:
    """The mail server that emails visitors their transcripts (``[smtp]``)."""

    host: str
    from_address: str
    port: int = 587
    starttls: bool = True
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0


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
    limits: Limits = Limits()
    alerts: Alerts = field(default_factory=Alerts)
    coaching: CoachingPolicy = field(default_factory=CoachingPolicy)
    # Transcripts by email; None without an [smtp] host.
    smtp: Smtp | None = None
    # How long a dashboard's subscription to the floor feed lasts unless renewed.
    dashboard_subscription: float = 120.0

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


def _int_in(
    table: Mapping[str, Any], section: str, key: str, default: int, low: int, high: int
) -> int:
    value: int = _get(table, section, key, int, default)
    _bounded(f"{section}.{key}", value, low, high)
    return value


def _rate(table: Mapping[str, Any], what: str, default: Rate) -> Rate:
    per_second: float = _get(table, "limits", f"{what}_per_second", float, default.per_second)
    _bounded(f"limits.{what}_per_second", per_second, 0.01, 10_000)
    burst = _int_in(table, "limits", f"{what}_burst", default.burst, 1, 100_000)
    return Rate(per_second, burst)


def _limits(table: Mapping[str, Any]) -> Limits:
    d = Limits()
    return Limits(
        chats_per_visitor=_int_in(
            table, "limits", "chats_per_visitor", d.chats_per_visitor, 1, 100
        ),
        waiting_chats=_int_in(table, "limits", "waiting_chats", d.waiting_chats, 1, 1_000_000),
        visitor_messages=_rate(table, "visitor_messages", d.visitor_messages),
        staff_messages=_rate(table, "staff_messages", d.staff_messages),
        presence=_rate(table, "presence", d.presence),
        max_id_chars=_int_in(table, "limits", "max_id_chars", d.max_id_chars, 36, 4096),
        max_status_chars=_int_in(
            table, "limits", "max_status_chars", d.max_status_chars, 0, 10_000
        ),
        left_messages_per_chat=_int_in(
            table, "limits", "left_messages_per_chat", d.left_messages_per_chat, 0, 10_000
        ),
        archive_messages_per_chat=_int_in(
            table, "limits", "archive_messages_per_chat", d.archive_messages_per_chat, 10, 10**8
        ),
    )


def _alerts(table: Mapping[str, Any]) -> Alerts:
    d = Alerts()
    values = {}
    for key in ("waiting_seconds", "first_response_seconds", "unanswered_seconds"):
        value: float = _get(table, "alerts", key, float, getattr(d, key))
        _bounded(f"alerts.{key}", value, 0, 7 * 86400)
        values[key] = value
    return Alerts(**values)


def _coaching(table: Mapping[str, Any]) -> CoachingPolicy:
    d = CoachingPolicy()
    timeout: float = _get(table, "coaching", "approval_timeout", float, d.approval_timeout)
    _bounded("coaching.approval_timeout", timeout, 0, 86400)
    unattended = _get(table, "coaching", "unattended", str, d.unattended)
    if unattended not in ("send", "wait"):
        raise ConfigError(f"coaching.unattended: expected 'send' or 'wait', got {unattended!r}")
    return CoachingPolicy(timeout, unattended)


def _smtp(table: Mapping[str, Any], env: Mapping[str, str], need_secret: bool) -> Smtp | None:
    host: str = _get(table, "smtp", "host", str, "")
    if not host:
        return None
    sender: str = _get(table, "smtp", "from_address", str, _REQUIRED)
    if mail_address(sender) is None:
        raise ConfigError(f"smtp.from_address: not a plain email address: {sender!r}")
    username: str = _get(table, "smtp", "username", str, "")
    password_env: str = _get(table, "smtp", "password_env", str, "")
    password = ""
    if username and not password_env:
        raise ConfigError("smtp.password_env: required with smtp.username")
    if username and password_env in env:
        password = env[password_env]
    elif username and need_secret:
        raise ConfigError(f"smtp.password_env: environment variable {password_env!r} is not set")
    timeout: float = _get(table, "smtp", "timeout", float, 30.0)
    _bounded("smtp.timeout", timeout, 1, 600)
    return Smtp(
        host=host,
        from_address=sender,
        port=_int_in(table, "smtp", "port", 587, 1, 65535),
        starttls=_get(table, "smtp", "starttls", bool, True),
        username=username,
        password=password,
        timeout=timeout,
    )


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
    "limits": {
        "chats_per_visitor",
        "waiting_chats",
        "visitor_messages_per_second",
        "visitor_messages_burst",
        "staff_messages_per_second",
        "staff_messages_burst",
        "presence_per_second",
        "presence_burst",
        "max_id_chars",
        "max_status_chars",
        "left_messages_per_chat",
        "archive_messages_per_chat",
    },
    "logging": {"level"},
    "alerts": {"waiting_seconds", "first_response_seconds", "unanswered_seconds"},
    "dashboard": {"subscription_seconds"},
    "smtp": {"host", "port", "from_address", "starttls", "username", "password_env", "timeout"},
    "coaching": {"approval_timeout", "unattended"},
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
    limits = _limits(data.get("limits", {}))
    alerts = _alerts(data.get("alerts", {}))
    coaching = _coaching(data.get("coaching", {}))
    dashboard = data.get("dashboard", {})
    smtp = _smtp(data.get("smtp", {}), env, need_secret)
    subscription = _get(dashboard, "dashboard", "subscription_seconds", float, 120.0)
    _bounded("dashboard.subscription_seconds", subscription, 10, 86400)

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
        limits=limits,
        alerts=alerts,
        coaching=coaching,
        dashboard_subscription=subscription,
        smtp=smtp,
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
