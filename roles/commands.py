"""Staff commands typed in a chat (``!w …``, ``!reveal`` …): parsing only.

A visitor's ``!…`` is an ordinary message; only staff messages are read as
commands, and a command itself is never shown to the visitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CommandName = Literal["whisper", "say", "reveal", "hide", "help", "unknown"]
PREFIX = "!"
_ALIASES: dict[str, CommandName] = {
    "w": "whisper",
    "whisper": "whisper",
    "say": "say",
    "reveal": "reveal",
    "hide": "hide",
    "help": "help",
}
HELP = (
    "Staff commands in a chat (never shown to the visitor):\n"
    "!w <text> or !whisper <text> - a message only staff see (also a private note)\n"
    "!say <text> - speak to the visitor, becoming visible if hidden\n"
    "!reveal - become visible to the visitor without speaking\n"
    "!hide - become hidden; the visitor sees you leave\n"
    "!help - this list"
)


@dataclass(frozen=True, slots=True)
class Command:
    name: CommandName
    word: str  # as typed, for the "unknown command" reply
    arg: str


def parse_command(body: str) -> Command | None:
    """The command in a staff message, or None for an ordinary message.

    ``!!text`` escapes the prefix; a lone ``!`` or ``! text`` is ordinary text.
    """
    if not body.startswith(PREFIX) or body.startswith(PREFIX * 2):
        return None
    rest = body[len(PREFIX) :]
    if not rest or rest[0].isspace():
        return None
    word, *arg = rest.split(None, 1)
    return Command(_ALIASES.get(word.lower(), "unknown"), word, arg[0].strip() if arg else "")


def unescape(body: str) -> str:
    """``!!text`` is sent as ``!text``."""
    return body[1:] if body.startswith(PREFIX * 2) else body
