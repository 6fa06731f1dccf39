"""``huddle prosody-config``: what it prints agrees with huddle.example.toml's
defaults, carries every option, and refuses values that would break the config."""

from __future__ import annotations

import re
import tomllib

import pytest

from component.cli import main
from component.dev.prosody import STAFF_UPLOADS, VISITOR_UPLOADS
from component.prosody_config import (
    VISITOR_LOGINS,
    ProsodySettings,
    SettingsError,
    render,
    render_visitor_fence,
)
from tests.lifecycle.processes import REPO


def lines(text: str) -> list[str]:
    """Config lines without comments, stripped."""
    return [line.strip() for line in text.splitlines() if not line.strip().startswith("--")]


def test_the_config_matches_huddle_example_toml_for_its_domain():
    example = tomllib.loads((REPO / "huddle.example.toml").read_text())
    config = lines(render(ProsodySettings.for_domain("example.org")))
    component = example["component"]
    assert f'Component "{component["jid"]}"' in config
    assert f"component_ports = {{ {component['server_port']} }}" in config
    assert f"component_secret = ENV_{component['secret_env']}" in config
    (staff,) = example["domains"]["staff"]
    (visitors,) = example["domains"]["visitors"]
    assert f'VirtualHost "{staff}"' in config
    visitor_host = config.index(f'VirtualHost "{visitors}"')
    assert config[visitor_host + 1] == 'authentication = "anonymous"'


def test_every_option_reaches_the_config():
    text = render(
        ProsodySettings.for_domain(
            "Example.COM.",
            service="chat.example.com",
            visitor_domain="anon.example.com",
            component_port=5999,
            widget_origins=("https://www.example.com/", "http://shop.example.com:8080"),
            secret_env="CHAT_SECRET",
            www_dir="/srv/widget",
            web_host="live.example.com",
            reverse_proxy=True,
            trusted_proxies=("198.51.100.7", "2001:db8::/64"),
        )
    )
    config = lines(text)
    assert 'VirtualHost "example.com"' in config
    assert 'Component "chat.example.com"' in config
    assert 'VirtualHost "anon.example.com"' in config
    assert "component_ports = { 5999 }" in config
    assert "component_secret = ENV_CHAT_SECRET" in config
    assert 'http_files_dir = "/srv/widget"' in config
    assert 'http_host = "live.example.com"' in config
    assert 'http_external_url = "https://live.example.com/"' in config
    assert 'trusted_proxies = { "127.0.0.1"; "::1"; "198.51.100.7"; "2001:db8::/64"; }' in config
    origins = '{ "https://www.example.com"; "http://shop.example.com:8080"; }'
    assert f"bosh = {{ enabled = true; origins = {origins}; }};" in config
    assert f"websocket = {{ enabled = true; origins = {origins}; }};" in config
    assert "$" not in text
    # The header says how to print it again, for comparing after an upgrade.
    assert (
        "huddle prosody-config --domain example.com --service chat.example.com "
        "--visitor-domain anon.example.com --component-port 5999 "
        "--widget-origin https://www.example.com --widget-origin http://shop.example.com:8080 "
        "--secret-env CHAT_SECRET --www-dir /srv/widget --web-host live.example.com "
        "--reverse-proxy --trusted-proxy 198.51.100.7 --trusted-proxy 2001:db8::/64"
    ) in text


def host_section(config: list[str], header: str) -> list[str]:
    """The lines of one VirtualHost or Component section, up to the next one."""
    start = config.index(header) + 1
    sections = ("VirtualHost", "Component")
    ends = [i for i, line in enumerate(config[start:], start) if line.startswith(sections)]
    return config[start : ends[0] if ends else len(config)]


def test_the_web_is_served_under_chat_dot_domain_with_port_5281_by_default():
    """The usual topology: the shop's website keeps example.org on another machine;
    the widget, console and websocket are on chat.example.org, this machine."""
    text = render(ProsodySettings.for_domain("example.org"))
    config = lines(text)
    staff = host_section(config, 'VirtualHost "example.org"')
    assert 'http_host = "chat.example.org"' in staff
    assert 'http_default_host = "chat.example.org"' in config
    # No proxy: Prosody's own HTTPS port, and no external URL anywhere.
    assert "wss://chat.example.org:5281/xmpp-websocket" in text
    assert not [line for line in config if line.startswith("http_external_url")]
    assert 'trusted_proxies = { "127.0.0.1"; "::1"; }' in config
    # The header names the web host among the names the certificate needs.
    assert "--   - chat.example.org: this machine;" in text


def test_behind_a_reverse_proxy_every_web_name_gets_its_port_443_url():
    settings = ProsodySettings.for_domain("example.org", reverse_proxy=True)
    text = render(settings)
    config = lines(text)
    for header, url in (
        ('VirtualHost "example.org"', "https://chat.example.org/"),
        ('Component "upload.example.org" "http_file_share"', "https://upload.example.org/"),
        (
            'Component "upload.guest.example.org" "http_file_share"',
            "https://upload.guest.example.org/",
        ),
    ):
        assert f'http_external_url = "{url}"' in host_section(config, header), header
    # Not server-wide: the upload services' slot URLs would name the web host.
    server_wide = config[: config.index('VirtualHost "example.org"')]
    assert not [line for line in server_wide if line.startswith("http_external_url")]
    assert "wss://chat.example.org/xmpp-websocket" in text
    assert settings.command().endswith("--reverse-proxy")


def test_the_web_host_may_be_the_domain_itself():
    config = lines(render(ProsodySettings.for_domain("example.org", web_host="example.org")))
    assert 'http_host = "example.org"' in host_section(config, 'VirtualHost "example.org"')


def test_the_visitor_host_is_fenced_in_and_capped():
    settings = ProsodySettings.for_domain("example.org")
    config = lines(render(settings))
    visitors = host_section(config, 'VirtualHost "guest.example.org"')
    assert 'modules_enabled = { "firewall"; "c2s_conn_throttle"; }' in visitors
    assert 'firewall_scripts = { "visitor-fence.pfw" }' in visitors
    assert f"cthrottler_logins_count = {VISITOR_LOGINS}" in visitors
    assert "cthrottler_time = 60" in visitors
    assert "allow_anonymous_s2s = false" in visitors
    assert 'modules_disabled = { "mam"; "offline"; "s2s"; }' in visitors
    # Staff are neither fenced nor capped.
    staff = host_section(config, 'VirtualHost "example.org"')
    assert not [line for line in staff if "firewall" in line or "cthrottler" in line]
    server_wide = config[: config.index('VirtualHost "example.org"')]
    assert not [line for line in server_wide if "firewall" in line]


def test_the_fence_names_the_service_and_the_visitor_host():
    rules = render_visitor_fence(
        ProsodySettings.for_domain(
            "example.com",
            service="chat.example.com",
            visitor_domain="anon.example.com",
            web_host="live.example.com",
        )
    )
    assert "%ZONE huddle_service: chat.example.com" in rules.splitlines()
    assert "TO: anon.example.com" in rules.splitlines()
    assert "FROM: anon.example.com" in rules.splitlines()
    assert "example.org" not in rules and "localhost" not in rules


def test_each_host_has_its_own_upload_service_with_its_limits():
    config = lines(render(ProsodySettings.for_domain("example.org")))
    for name, host, limits in (
        ("upload.guest.example.org", "guest.example.org", VISITOR_UPLOADS),
        ("upload.example.org", "example.org", STAFF_UPLOADS),
    ):
        section = host_section(config, f'Component "{name}" "http_file_share"')
        assert [line for line in section if line] == [
            f'http_file_share_access = {{ "{host}" }}',
            f"http_file_share_size_limit = {limits.file_mib} * 1024 * 1024",
            f"http_file_share_daily_quota = {limits.daily_mib} * 1024 * 1024",
            f"http_file_share_global_quota = {limits.total_mib} * 1024 * 1024",
            f"http_file_share_expires_after = {limits.days} * 86400",
        ]
    # Visitors are strangers: less than staff, on every count.
    assert VISITOR_UPLOADS.file_mib < STAFF_UPLOADS.file_mib
    assert VISITOR_UPLOADS.daily_mib < STAFF_UPLOADS.daily_mib
    assert VISITOR_UPLOADS.total_mib < STAFF_UPLOADS.total_mib


def test_the_fence_lets_visitors_ask_their_upload_service_for_slots_only():
    rules = render_visitor_fence(
        ProsodySettings.for_domain("example.com", visitor_domain="anon.example.com")
    ).splitlines()
    start = rules.index("TO: upload.anon.example.com")
    assert rules[start : start + 5] == [
        "TO: upload.anon.example.com",
        "KIND: iq",
        "TYPE: get",
        "PAYLOAD: urn:xmpp:http:upload:0",
        "PASS.",
    ]
    # Nothing for the staff's upload service.
    assert "upload.example.com" not in "\n".join(rules)


def test_output_writes_the_fence_beside_the_config(tmp_path):
    config = tmp_path / "prosody.cfg.lua"
    assert main(["prosody-config", "--domain", "example.org", "--output", str(config)]) == 0
    settings = ProsodySettings.for_domain("example.org")
    assert config.read_text() == render(settings)
    assert (tmp_path / "visitor-fence.pfw").read_text() == render_visitor_fence(settings)


def test_printing_the_config_says_where_the_fence_must_go(capsys):
    assert main(["prosody-config", "--domain", "example.org"]) == 0
    err = capsys.readouterr().err
    assert "visitor-fence.pfw" in err and "--output" in err


def test_without_a_widget_origin_cors_is_left_to_prosody_and_explained():
    text = render(ProsodySettings.for_domain("example.org"))
    assert "http_cors_override" not in "\n".join(lines(text))
    assert "--widget-origin" in text


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"domain": "not a domain"}, "not a domain name"),
        ({"domain": "-bad.example.org"}, "not a domain name"),
        ({"service": "example.org"}, "must differ"),
        ({"service": "upload.example.org"}, "must differ"),
        ({"visitor_domain": "upload.example.org"}, "must differ"),
        ({"component_port": 70000}, "not a TCP port"),
        ({"widget_origins": ("https://www.example.org/chat",)}, "no path"),
        ({"widget_origins": ("www.example.org",)}, "no path"),
        ({"secret_env": "HUDDLE-SECRET"}, "not a variable name"),
        ({"www_dir": "widget"}, "absolute path"),
        ({"web_host": "support.example.org"}, "name of another host"),
        ({"web_host": "upload.guest.example.org"}, "name of another host"),
        ({"service": "chat.example.org"}, "choose another with --web-host"),
        ({"web_host": "chat example"}, "not a domain name"),
        ({"trusted_proxies": ("proxy.example.org",)}, "not an IP address"),
    ],
)
def test_values_that_would_break_the_config_are_refused(changes, complaint):
    options = {"domain": "example.org", **changes}
    with pytest.raises(SettingsError, match=complaint):
        ProsodySettings.for_domain(**options)


def test_the_command_prints_the_config(capsys):
    assert main(["prosody-config", "--domain", "example.org"]) == 0
    out = capsys.readouterr().out
    assert out == render(ProsodySettings.for_domain("example.org"))
    assert re.search(r'^Component "support\.example\.org"$', out, re.MULTILINE)
    assert "--     huddle prosody-config --domain example.org\n" in out


def test_the_command_names_a_bad_value(capsys):
    assert main(["prosody-config", "--domain", "example.org", "--component-port", "0"]) == 2
    assert "component port 0 is not a TCP port" in capsys.readouterr().err
