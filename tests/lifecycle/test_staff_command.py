"""``huddle staff add|list|remove`` and configuration errors, as processes with a temp config."""

from __future__ import annotations

import pytest

from tests.lifecycle.deploy import huddle_toml
from tests.lifecycle.processes import huddle

pytestmark = pytest.mark.integration


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "huddle.toml"
    # No Prosody needed: the staff commands only touch the database.
    path.write_text(huddle_toml(5347, secret="s3cret", database="staff.sqlite"))
    return path


async def staff(config, *args: str) -> tuple[int, str, str]:
    return await huddle("staff", "--config", str(config), *args)


async def test_add_list_remove(config):
    code, out, err = await staff(config, "list")
    assert (code, out, err) == (0, "the staff directory is empty\n", "")

    code, out, err = await staff(
        config, "add", "jennie@localhost", "--name", "Jennie", "--team", "support"
    )
    assert code == 0, err
    assert out == "added jennie@localhost (agent, team support, 'Jennie')\n"
    # A relative storage.path is relative to the config file, not to the working directory.
    assert (config.parent / "staff.sqlite").exists()

    code, out, err = await staff(
        config,
        "add",
        "john@localhost",
        "--name",
        "John",
        "--role",
        "supervisor",
        "--team",
        "accounts",
        "--max-chats",
        "7",
    )
    assert code == 0, err

    code, out, err = await staff(config, "list")
    assert code == 0, err
    rows = [line.split(None, 4) for line in out.splitlines()]
    assert rows == [
        ["jennie@localhost", "agent", "support", "3", "Jennie"],
        ["john@localhost", "supervisor", "accounts", "7", "John"],
    ]

    code, out, err = await staff(config, "remove", "jennie@localhost")
    assert (code, out, err) == (0, "removed jennie@localhost\n", "")
    code, out, _ = await staff(config, "list")
    assert code == 0 and "jennie@localhost" not in out and "john@localhost" in out

    code, out, err = await staff(config, "remove", "jennie@localhost")
    assert code == 1
    assert out == ""
    assert "jennie@localhost is not in the staff directory" in err


async def test_adding_the_same_jid_twice_fails_and_keeps_the_first(config):
    code, _, err = await staff(config, "add", "jennie@localhost", "--name", "Jennie")
    assert code == 0, err
    code, out, err = await staff(
        config, "add", "jennie@localhost", "--name", "Other", "--role", "admin"
    )
    assert code != 0
    assert out == ""
    assert "'jennie@localhost' is already on the staff" in err
    _, out, _ = await staff(config, "list")
    assert out.split() == ["jennie@localhost", "agent", "support", "3", "Jennie"]


async def test_jid_case_does_not_matter(config):
    # Domains (and, for Prosody, localparts) are case-insensitive: this is jennie@localhost.
    code, out, err = await staff(config, "add", "Jennie@LocalHost", "--name", "Jennie")
    assert code == 0, err
    assert out == "added jennie@localhost (agent, team support, 'Jennie')\n"
    code, _, err = await staff(config, "add", "jennie@localhost", "--name", "Jennie 2")
    assert code != 0 and "already on the staff" in err
    code, out, err = await staff(config, "remove", "JENNIE@localhost")
    assert code == 0, err


@pytest.mark.parametrize(
    ("jid", "message"),
    [
        ("mallory@guest.localhost", "mallory@guest.localhost: not on a staff domain (localhost)"),
        ("mallory@example.org", "mallory@example.org: not on a staff domain (localhost)"),
        ("no-domain", "no-domain: not on a staff domain (localhost)"),
    ],
)
async def test_jid_off_the_staff_domains_is_refused(config, jid, message):
    code, out, err = await staff(config, "add", jid, "--name", "Mallory")
    assert code == 2
    assert out == ""
    assert message in err
    _, out, _ = await staff(config, "list")
    assert out == "the staff directory is empty\n"


async def test_invalid_entry_names_the_field(config):
    code, out, err = await staff(config, "add", "bob@localhost", "--name", "Bob (visitor)")
    assert code == 2
    assert out == ""
    assert "name: must not end with ' (visitor)'" in err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("server_port = 5347", 'server_port = "x"'),
            "component.server_port: expected int, got 'x'",
        ),
        (("server_port = 5347", "server_port = 70000"), "component.server_port: must be between"),
        (("[storage]", "[storage]\ncolour = 1"), "storage.colour: unknown option"),
        (
            ('jid = "support.localhost"', 'jid = "Support Desk"'),
            "component.jid: not a valid domain",
        ),
        (
            ('secret = "s3cret"', 'secret_env = "HUDDLE_UNSET_SECRET_VAR"'),
            "component.secret_env: environment variable 'HUDDLE_UNSET_SECRET_VAR' is not set",
        ),
        (("[logging]", "[logging"), "not valid TOML"),
    ],
)
async def test_bad_config_is_exit_2_naming_the_key(config, edit, message):
    old, new = edit
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new))
    commands = [("staff", "--config", str(config), "list"), ("run", "--config", str(config))]
    if "secret_env" in message:
        # Admin commands only touch the database: they need no secret.
        code, _, err = await huddle(*commands.pop(0))
        assert code == 0, err
        (config.parent / "staff.sqlite").unlink()
    for args in commands:
        code, out, err = await huddle(*args)
        assert code == 2, err
        assert out == ""
        assert "huddle: configuration error: " in err
        assert message in err, err
        assert "Traceback" not in err
    # Nothing was opened: a bad config leaves no database behind.
    assert not (config.parent / "staff.sqlite").exists()


async def test_missing_config_file_is_exit_2_naming_the_path(tmp_path):
    missing = tmp_path / "nowhere.toml"
    code, _, err = await huddle("run", "--config", str(missing))
    assert code == 2
    assert f"{missing}: no such configuration file" in err


async def test_config_may_also_follow_the_action(config):
    code, out, err = await huddle("staff", "list", "--config", str(config))
    assert code == 0, err
    assert "empty" in out


async def test_edit_changes_only_what_is_given_and_coaches(config):
    code, _, err = await staff(config, "add", "jennie@localhost", "--name", "Jennie")
    assert code == 0, err
    code, out, err = await staff(config, "edit", "jennie@localhost", "--coached", "--team", "sales")
    assert code == 0, err
    assert out.startswith(
        "changed jennie@localhost: Jennie, agent in team sales, up to 3 chats, coached"
    )
    _, out, _ = await staff(config, "list")
    assert out.split() == ["jennie@localhost", "agent", "sales", "3", "Jennie", "(coached)"]

    code, out, err = await staff(config, "edit", "jennie@localhost", "--not-coached")
    assert code == 0, err
    assert "coached" not in out.splitlines()[0].removeprefix("changed jennie@localhost: ")
    code, _, err = await staff(config, "edit", "nobody@localhost", "--coached")
    assert code == 1 and "nobody@localhost is not in the staff directory" in err
    code, _, err = await staff(config, "edit", "jennie@localhost", "--max-chats", "0")
    assert code == 2 and "max_chats" in err
    code, _, err = await staff(config, "edit", "jennie@localhost", "--coached", "--not-coached")
    assert code == 2
