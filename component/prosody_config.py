"""``huddle prosody-config``: a production Prosody 0.12 config for one domain.

Renders ``prosody-config/production.cfg.lua.in`` with the names and port that
``huddle.example.toml``'s defaults expect (component ``support.<domain>`` on 5347,
visitors on ``guest.<domain>``, staff on ``<domain>``), so the two files agree
without editing. The component secret is not in the output: Prosody reads it from
an environment variable (see the template's comments and ADMIN.md). Beside the
config goes ``visitor-fence.pfw``, the mod_firewall rules that keep visitors to
the support service.
"""

from __future__ import annotations

import argparse
import re
import shlex
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path

from component import shipped
from component.addressing import upload_service
from component.config import DOMAIN, LABEL
from component.dev.prosody import (
    FENCE_FILE,
    VISITOR_LOGIN_WINDOW,
    lua_string,
    render_fence,
    upload_values,
)

TEMPLATE = shipped.path("prosody/production.cfg.lua.in")
# New visitor connections one address may open per window (mod_c2s_conn_throttle):
# a few visitors behind one company or carrier address, not a login flood.
VISITOR_LOGINS = 20
DEFAULT_COMPONENT_PORT = 5347
DEFAULT_SECRET_ENV = "HUDDLE_SECRET"
DEFAULT_WWW_DIR = "/var/www/huddle"

# A DNS name as XMPP domains use them: letters, digits, hyphens; at least one label.
# What a browser sends as Origin: scheme, host, optional port; no path.
_ORIGIN = re.compile(rf"^https?://{LABEL}(\.{LABEL})*(:\d{{1,5}})?$")
# It becomes part of a Lua name (ENV_<NAME>), so it must be one.
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SettingsError(ValueError):
    """An option value that would make a broken config."""


@dataclass(frozen=True, slots=True)
class ProsodySettings:
    domain: str
    service: str
    visitor_domain: str
    component_port: int = DEFAULT_COMPONENT_PORT
    widget_origins: tuple[str, ...] = field(default_factory=tuple)
    secret_env: str = DEFAULT_SECRET_ENV
    www_dir: str = DEFAULT_WWW_DIR

    @classmethod
    def for_domain(
        cls,
        domain: str,
        *,
        service: str | None = None,
        visitor_domain: str | None = None,
        component_port: int = DEFAULT_COMPONENT_PORT,
        widget_origins: tuple[str, ...] = (),
        secret_env: str = DEFAULT_SECRET_ENV,
        www_dir: str = DEFAULT_WWW_DIR,
    ) -> ProsodySettings:
        """Settings with Huddle's defaults for ``domain``, checked."""
        domain = domain.strip().lower().rstrip(".")
        settings = cls(
            domain=domain,
            service=(service or f"support.{domain}").lower(),
            visitor_domain=(visitor_domain or f"guest.{domain}").lower(),
            component_port=component_port,
            # Browsers send the Origin without a trailing slash.
            widget_origins=tuple(origin.rstrip("/") for origin in widget_origins),
            secret_env=secret_env,
            www_dir=www_dir,
        )
        settings.check()
        return settings

    def check(self) -> None:
        for what, name in (
            ("domain", self.domain),
            ("service", self.service),
            ("visitor domain", self.visitor_domain),
        ):
            if not DOMAIN.match(name):
                raise SettingsError(f"{what} {name!r} is not a domain name")
        names = [self.domain, self.service, self.visitor_domain, *self.upload_services]
        if len(set(names)) != len(names):
            # Prosody refuses a Component and a VirtualHost of the same name.
            raise SettingsError(
                f"domain, service, visitor domain and upload services must differ: {names}"
            )
        if not 1 <= self.component_port <= 65535:
            raise SettingsError(f"component port {self.component_port} is not a TCP port")
        for origin in self.widget_origins:
            if not _ORIGIN.match(origin):
                raise SettingsError(
                    f"widget origin {origin!r} is not like https://www.example.org "
                    "(scheme, host and optional port; no path)"
                )
        if not _ENV_NAME.match(self.secret_env):
            raise SettingsError(f"secret variable {self.secret_env!r} is not a variable name")
        if not self.www_dir.startswith("/"):
            raise SettingsError(f"www dir {self.www_dir!r} must be an absolute path")

    @property
    def upload_services(self) -> tuple[str, str]:
        """The XEP-0363 upload services: staff's, then visitors'."""
        return upload_service(self.domain), upload_service(self.visitor_domain)

    def command(self) -> str:
        """The ``huddle prosody-config`` command that prints this config again."""
        words = ["huddle", "prosody-config", "--domain", self.domain]
        if self.service != f"support.{self.domain}":
            words += ["--service", self.service]
        if self.visitor_domain != f"guest.{self.domain}":
            words += ["--visitor-domain", self.visitor_domain]
        if self.component_port != DEFAULT_COMPONENT_PORT:
            words += ["--component-port", str(self.component_port)]
        for origin in self.widget_origins:
            words += ["--widget-origin", origin]
        if self.secret_env != DEFAULT_SECRET_ENV:
            words += ["--secret-env", self.secret_env]
        if self.www_dir != DEFAULT_WWW_DIR:
            words += ["--www-dir", self.www_dir]
        return shlex.join(words)


def _lua_list(values: tuple[str, ...]) -> str:
    return "{ " + " ".join(f'"{lua_string(value)}";' for value in values) + " }"


def cors_block(origins: tuple[str, ...]) -> str:
    """Lua for the CORS section: restricted to ``origins``, or Prosody's default."""
    if not origins:
        return (
            "-- No --widget-origin given: any site may (Prosody's default). To allow only\n"
            "-- yours, regenerate with `huddle prosody-config --widget-origin "
            "https://www.example.org`\n"
            "-- or write what it writes:\n"
            "-- http_cors_override = {\n"
            '-- \tbosh = { enabled = true; origins = { "https://www.example.org"; }; };\n'
            '-- \twebsocket = { enabled = true; origins = { "https://www.example.org"; }; };\n'
            "-- }"
        )
    listed = _lua_list(origins)
    return (
        "http_cors_override = {\n"
        f"\tbosh = {{ enabled = true; origins = {listed}; }};\n"
        f"\twebsocket = {{ enabled = true; origins = {listed}; }};\n"
        "}"
    )


def render(settings: ProsodySettings, template: Path = TEMPLATE) -> str:
    settings.check()
    return string.Template(template.read_text()).substitute(
        command=settings.command(),
        domain=lua_string(settings.domain),
        service=lua_string(settings.service),
        visitor_domain=lua_string(settings.visitor_domain),
        component_port=settings.component_port,
        secret_env=settings.secret_env,
        www_dir=lua_string(settings.www_dir),
        cors_block=cors_block(settings.widget_origins),
        visitor_logins=VISITOR_LOGINS,
        visitor_login_window=VISITOR_LOGIN_WINDOW,
        **upload_values(settings.domain, settings.visitor_domain),
    )


def render_visitor_fence(settings: ProsodySettings) -> str:
    """The mod_firewall rules the config loads from ``visitor-fence.pfw`` beside it."""
    settings.check()
    return render_fence(settings.visitor_domain, settings.service)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "prosody-config",
        help="print a production Prosody config for your domain",
        description="Prints a commented Prosody 0.12 configuration (prosody.cfg.lua) that "
        "matches huddle.example.toml's defaults. prosody-config/ADMIN.md says where to put "
        "it and what else a deployment needs.",
    )
    parser.add_argument("--domain", required=True, help="staff domain, e.g. example.org")
    parser.add_argument("--service", help="component domain (default: support.DOMAIN)")
    parser.add_argument("--visitor-domain", help="anonymous visitors (default: guest.DOMAIN)")
    parser.add_argument(
        "--component-port",
        type=int,
        default=DEFAULT_COMPONENT_PORT,
        help="where Huddle connects (%(default)s)",
    )
    parser.add_argument(
        "--widget-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web site that embeds the widget, e.g. https://www.example.org; repeatable. "
        "Without it, any site may use BOSH from the browser",
    )
    parser.add_argument(
        "--secret-env",
        default=DEFAULT_SECRET_ENV,
        metavar="NAME",
        help="environment variable holding the component secret (%(default)s)",
    )
    parser.add_argument(
        "--www-dir",
        default=DEFAULT_WWW_DIR,
        help="folder Prosody serves at /, holding chat/ (the widget), console/ and "
        "converse/ (%(default)s)",
    )
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        help=f"write the config here instead of printing it, and the visitor fence's "
        f"rules to {FENCE_FILE} in the same folder",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = ProsodySettings.for_domain(
            args.domain,
            service=args.service,
            visitor_domain=args.visitor_domain,
            component_port=args.component_port,
            widget_origins=tuple(args.widget_origin),
            secret_env=args.secret_env,
            www_dir=args.www_dir,
        )
    except SettingsError as exc:
        print(f"huddle prosody-config: {exc}", file=sys.stderr)
        return 2
    text = render(settings)
    if args.output is None:
        print(text, end="")
        # Without its rules file Prosody runs with the fence down, logging only an error.
        print(
            f"huddle prosody-config: this config loads {FENCE_FILE} from its own folder; "
            "--output writes both files",
            file=sys.stderr,
        )
    else:
        args.output.write_text(text)
        args.output.with_name(FENCE_FILE).write_text(render_visitor_fence(settings))
    return 0
