"""``huddle prosody-config``: what it prints agrees with huddle.example.toml's
defaults, carries every option, and refuses values that would break the config."""

from __future__ import annotations

import re
import tomllib

import pytest

from component.cli import main
from component.prosody_config import ProsodySettings, SettingsError, render
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
        )
    )
    config = lines(text)
    assert 'VirtualHost "example.com"' in config
    assert 'Component "chat.example.com"' in config
    assert 'VirtualHost "anon.example.com"' in config
    assert "component_ports = { 5999 }" in config
    assert "component_secret = ENV_CHAT_SECRET" in config
    assert 'http_files_dir = "/srv/widget"' in config
    origins = '{ "https://www.example.com"; "http://shop.example.com:8080"; }'
    assert f"bosh = {{ enabled = true; origins = {origins}; }};" in config
    assert f"websocket = {{ enabled = true; origins = {origins}; }};" in config
    assert "$" not in text
    # The header says how to print it again, for comparing after an upgrade.
    assert (
        "huddle prosody-config --domain example.com --service chat.example.com "
        "--visitor-domain anon.example.com --component-port 5999 "
        "--widget-origin https://www.example.com --widget-origin http://shop.example.com:8080 "
        "--secret-env CHAT_SECRET --www-dir /srv/widget"
    ) in text


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
        ({"component_port": 70000}, "not a TCP port"),
        ({"widget_origins": ("https://www.example.org/chat",)}, "no path"),
        ({"widget_origins": ("www.example.org",)}, "no path"),
        ({"secret_env": "HUDDLE-SECRET"}, "not a variable name"),
        ({"www_dir": "widget"}, "absolute path"),
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
