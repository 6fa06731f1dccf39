"""Parsing staff commands (pure)."""

from __future__ import annotations

import pytest

from roles.commands import parse_command, unescape


@pytest.mark.parametrize(
    ("body", "name", "arg"),
    [
        ("!w hello there", "whisper", "hello there"),
        ("!whisper  spaced ", "whisper", "spaced"),
        ("!W shout", "whisper", "shout"),
        ("!reveal", "reveal", ""),
        ("!close done and dusted", "close", "done and dusted"),
        ("!invite john@localhost", "invite", "john@localhost"),
        ("!w\nmultiline\ntext", "whisper", "multiline\ntext"),
        ("!r greeting", "canned", "greeting"),
        ("!R Refund ", "canned", "Refund"),
        ("!r", "canned", ""),
        ("!frobnicate x", "unknown", "x"),
        ("!chats", "unknown", ""),  # a desk command, not a chat one
    ],
)
def test_chat_commands(body, name, arg):
    command = parse_command(body)
    assert command is not None and (command.name, command.arg) == (name, arg)


@pytest.mark.parametrize("body", ["hello", "! spaced", "!", "!!escaped", " !w lead"])
def test_ordinary_messages(body):
    assert parse_command(body) is None


def test_desk_commands_and_escape():
    assert parse_command("!chats", desk=True).name == "chats"
    assert parse_command("!w hi", desk=True).name == "unknown"
    assert parse_command("!r greeting", desk=True).name == "unknown"  # chats only
    assert unescape("!!w not a command") == "!w not a command"
    assert unescape("plain") == "plain"
