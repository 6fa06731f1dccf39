"""Configuration: every bad key or value is named in the error."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from component.config import ConfigError, load_config, parse_config

GOOD = {
    "component": {"jid": "support.example.org", "secret": "s3cret"},
    "domains": {"staff": ["example.org"], "visitors": ["guest.example.org"]},
}


def with_(section: str, key: str, value: object) -> dict:
    data = {k: dict(v) for k, v in GOOD.items()}
    data.setdefault(section, {})[key] = value
    return data


def test_the_example_file_is_valid_and_documents_every_option():
    example = Path(__file__).parents[2] / "huddle.example.toml"
    config = load_config(example, env={"HUDDLE_SECRET": "x"})
    assert config.service == "support.example.org"
    text = example.read_text()
    from component.config import _KEYS

    for section, keys in _KEYS.items():
        assert f"[{section}]" in text
        for key in keys:
            assert key in text, f"{section}.{key} is not documented in the example"


def test_defaults():
    config = parse_config(GOOD, env={})
    assert config.server_port == 5347
    assert config.supervisor_speech == "reveal"
    assert config.desk == "desk@support.example.org"
    assert config.welcome.startswith("Welcome")


def test_secret_from_the_environment():
    data = with_("component", "secret_env", "HUDDLE_SECRET")
    assert parse_config(data, env={"HUDDLE_SECRET": "from-env"}).secret == "from-env"
    with pytest.raises(ConfigError, match=r"component\.secret_env.*HUDDLE_SECRET"):
        parse_config(data, env={})


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("component", "server_port", "5347", r"component.server_port: expected int, got '5347'"),
        ("component", "server_port", 70000, r"component.server_port: must be between"),
        ("component", "jid", "not a domain", r"component.jid: not a valid domain name"),
        ("chat", "supervisor_speech", "shout", r"chat.supervisor_speech: .*'shout'"),
        ("chat", "max_message_chars", 0, r"chat.max_message_chars: must be between"),
        ("logging", "level", "loud", r"logging.level: .*'loud'"),
        ("domains", "visitors", ["example.org"], r"domains.visitors: 'example.org' is also"),
        ("chat", "colour", "red", r"chat.colour: unknown option"),
    ],
)
def test_bad_values_are_named(section, key, value, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(with_(section, key, value), env={})


def test_missing_required_and_unknown_section():
    with pytest.raises(ConfigError, match=r"component\.jid: required"):
        parse_config({"component": {"secret": "x"}}, env={})
    with pytest.raises(ConfigError, match="colours: unknown section"):
        parse_config({**GOOD, "colours": {}}, env={})


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[component\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    assert tomllib  # stdlib parser, no extra dependency


def test_admin_commands_do_not_need_the_secret():
    data = with_("component", "secret_env", "HUDDLE_SECRET")
    del data["component"]["secret"]
    config = parse_config(data, env={}, need_secret=False)
    assert config.secret == ""
    with pytest.raises(ConfigError, match="HUDDLE_SECRET"):
        parse_config(data, env={})


SMTP = {"host": "smtp.example.org", "from_address": "support@example.org"}


def test_smtp_is_off_without_a_host_and_defaults_otherwise():
    assert parse_config(GOOD, env={}).smtp is None
    assert parse_config({**GOOD, "smtp": {"port": 25}}, env={}).smtp is None
    smtp = parse_config({**GOOD, "smtp": SMTP}, env={}).smtp
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.starttls, smtp.username, smtp.password) == (
        "smtp.example.org",
        587,
        True,
        "",
        "",
    )
    assert smtp.timeout == 30.0


def test_smtp_password_comes_from_the_environment_and_stays_out_of_repr():
    data = {**GOOD, "smtp": {**SMTP, "username": "huddle", "password_env": "SMTP_PW"}}
    smtp = parse_config(data, env={"SMTP_PW": "hunter2"}).smtp
    assert smtp is not None and smtp.password == "hunter2"
    assert "hunter2" not in repr(smtp)
    with pytest.raises(ConfigError, match=r"smtp\.password_env: environment variable 'SMTP_PW'"):
        parse_config(data, env={})
    # Admin commands that only touch the database do not need it.
    assert parse_config(data, env={}, need_secret=False).smtp is not None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"from_address": None}, r"smtp\.from_address: required"),
        ({"from_address": "Support <support@example.org>"}, r"smtp\.from_address: not a plain"),
        ({"port": 0}, r"smtp\.port: must be between"),
        ({"starttls": "yes"}, r"smtp\.starttls: expected bool, got 'yes'"),
        ({"username": "huddle"}, r"smtp\.password_env: required with smtp\.username"),
        ({"timeout": 0}, r"smtp\.timeout: must be between"),
        ({"password": "x"}, r"smtp\.password: unknown option"),
    ],
)
def test_bad_smtp_values_are_named(changes, message):
    table = {**SMTP, **changes}
    table = {k: v for k, v in table.items() if v is not None}
    with pytest.raises(ConfigError, match=message):
        parse_config({**GOOD, "smtp": table}, env={})
