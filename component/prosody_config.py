"""``huddle prosody-config``: a production Prosody 0.12 config for one domain.

Renders ``prosody-config/production.cfg.lua.in`` with the names and port that
``huddle.example.toml``'s defaults expect (component ``support.<domain>`` on 5347,
visitors on ``guest.<domain>``, staff on ``<domain>``), so the two files agree
without editing. The web endpoints (widget, console, websocket, BOSH) are served
under a name of their own, ``chat.<domain>`` by default, so that ``<domain>`` may
stay the shop's website on another machine; ``--reverse-proxy`` fits them to a
proxy on this machine serving port 443 (``prosody-config/nginx-huddle.conf``).
The component secret is not in the output: Prosody reads it from an environment
variable (see the template's comments and ADMIN.md). Beside the config goes
``visitor-fence.pfw``, the mod_firewall rules that keep visitors to the support
service.
"""

from __future__ import annotations

import argparse
import ipaddress
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
# A reverse proxy on this machine: Prosody trusts its X-Forwarded-For and
# X-Forwarded-Proto (Prosody 0.12's own default, written out for the reader).
LOOPBACK_PROXIES = ("127.0.0.1", "::1")
DIRECT_HTTPS_PORT = 5281

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
    # The name the widget, console, websocket and BOSH are served under.
    web_host: str = ""
    # A reverse proxy on this machine serves the web host and the upload
    # services on port 443 and forwards to Prosody's loopback HTTP port.
    reverse_proxy: bool = False
    # Proxies besides this machine whose X-Forwarded-For Prosody believes.
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)

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
        web_host: str | None = None,
        reverse_proxy: bool = False,
        trusted_proxies: tuple[str, ...] = (),
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
            web_host=(web_host or f"chat.{domain}").lower().rstrip("."),
            reverse_proxy=reverse_proxy,
            trusted_proxies=tuple(trusted_proxies),
        )
        settings.check()
        return settings

    def check(self) -> None:
        for what, name in (
            ("domain", self.domain),
            ("service", self.service),
            ("visitor domain", self.visitor_domain),
            ("web host", self.web_host),
        ):
            if not DOMAIN.match(name):
                raise SettingsError(f"{what} {name!r} is not a domain name")
        names = [self.domain, self.service, self.visitor_domain, *self.upload_services]
        if len(set(names)) != len(names):
            # Prosody refuses a Component and a VirtualHost of the same name.
            raise SettingsError(
                f"domain, service, visitor domain and upload services must differ: {names}"
            )
        if self.web_host in names[1:]:
            # Two hosts' web endpoints under one name: Prosody would serve one of them.
            raise SettingsError(
                f"web host {self.web_host!r} is the name of another host here; "
                "choose another with --web-host (it may be the domain itself)"
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
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SettingsError(
                    f"trusted proxy {proxy!r} is not an IP address or network "
                    "(like 192.0.2.7 or 2001:db8::/64)"
                ) from None

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
        if self.web_host != f"chat.{self.domain}":
            words += ["--web-host", self.web_host]
        if self.reverse_proxy:
            words.append("--reverse-proxy")
        for proxy in self.trusted_proxies:
            words += ["--trusted-proxy", proxy]
        return shlex.join(words)

    def web_url(self) -> str:
        """Where the widget, the console and the websocket are, with a trailing slash."""
        if self.reverse_proxy:
            return f"https://{self.web_host}/"
        return f"https://{self.web_host}:{DIRECT_HTTPS_PORT}/"


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


def web_urls(settings: ProsodySettings) -> str:
    """Lua comment lines listing the web endpoints' addresses."""
    base = settings.web_url()
    ws = "wss" + base.removeprefix("https")
    where = " (through the reverse proxy)" if settings.reverse_proxy else ""
    return "\n".join(
        [
            f"--   widget          {base}chat/{where}",
            f"--   staff console   {base}console/",
            f"--   websocket       {ws}xmpp-websocket",
            f"--   BOSH            {base}http-bind",
        ]
    )


def proxy_block(settings: ProsodySettings) -> str:
    """Lua for the reverse proxy part of the web section."""
    proxies = _lua_list((*LOOPBACK_PROXIES, *settings.trusted_proxies))
    if settings.reverse_proxy:
        intro = (
            "-- Behind a reverse proxy (--reverse-proxy): nginx on this machine serves\n"
            f"-- https://{settings.web_host}/ and the upload services on port 443 and forwards\n"
            "-- to http://127.0.0.1:5280/, passing on the Host header, the websocket upgrade,\n"
            '-- X-Forwarded-For and X-Forwarded-Proto (ADMIN.md, "A reverse proxy";\n'
            "-- prosody-config/nginx-huddle.conf). http_external_url, in the staff host's and\n"
            "-- the upload services' sections, makes the URLs Prosody hands out name port 443.\n"
        )
    else:
        intro = (
            "-- To serve the web on port 443 through a reverse proxy on this machine (nginx\n"
            '-- forwarding to http://127.0.0.1:5280/; ADMIN.md, "A reverse proxy"), print\n'
            "-- this config again with --reverse-proxy.\n"
        )
    return (
        f"{intro}"
        "-- Prosody believes X-Forwarded-For and X-Forwarded-Proto from these addresses\n"
        "-- only: the visitors' connection cap then counts each visitor's own address, and\n"
        "-- a websocket the proxy received over HTTPS counts as encrypted. Add another\n"
        "-- proxy in front (your website's, forwarding a path of its own here) with\n"
        "-- --trusted-proxy ADDRESS.\n"
        f"trusted_proxies = {proxies}"
    )


def external_url(settings: ProsodySettings, host: str) -> str:
    """The http_external_url line of a host's section (a comment without a proxy)."""
    line = f'http_external_url = "https://{lua_string(host)}/"'
    if settings.reverse_proxy:
        return f"\t{line}"
    return f"\t-- behind a reverse proxy (--reverse-proxy): {line}"


def render(settings: ProsodySettings, template: Path = TEMPLATE) -> str:
    settings.check()
    staff_upload, visitor_upload = settings.upload_services
    return string.Template(template.read_text()).substitute(
        command=settings.command(),
        domain=lua_string(settings.domain),
        service=lua_string(settings.service),
        visitor_domain=lua_string(settings.visitor_domain),
        component_port=settings.component_port,
        secret_env=settings.secret_env,
        www_dir=lua_string(settings.www_dir),
        cors_block=cors_block(settings.widget_origins),
        web_host=lua_string(settings.web_host),
        web_urls=web_urls(settings),
        proxy_block=proxy_block(settings),
        web_external_url=external_url(settings, settings.web_host),
        staff_upload_external_url=external_url(settings, staff_upload),
        visitor_upload_external_url=external_url(settings, visitor_upload),
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
        "--web-host",
        metavar="NAME",
        help="the name the widget, staff console, websocket and BOSH are served under "
        "(default: chat.DOMAIN); it needs a DNS record and a place on the certificate",
    )
    parser.add_argument(
        "--reverse-proxy",
        action="store_true",
        help="a reverse proxy on this machine serves the web host and the upload services "
        "on port 443 and forwards to Prosody's http://127.0.0.1:5280 "
        "(prosody-config/nginx-huddle.conf)",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="another proxy whose X-Forwarded-For Prosody may believe, e.g. your website's "
        "when it forwards a path to this machine; repeatable",
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
            web_host=args.web_host,
            reverse_proxy=args.reverse_proxy,
            trusted_proxies=tuple(args.trusted_proxy),
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
