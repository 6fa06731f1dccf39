"""Staff commands typed in a chat (``!w …``, ``!reveal`` …): parsing only.

A visitor's ``!…`` is an ordinary message; only staff messages are read as
commands, and a command itself is never shown to the visitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CommandName = Literal[
    "whisper",
    "say",
    "reveal",
    "hide",
    "help",
    "invite",
    "transfer",
    "take",
    "close",
    "info",
    "chats",
    "supervise",
    "stats",
    "canned",
    "coach",
    "ok",
    "edit",
    "no",
    "unknown",
]
PREFIX = "!"
_CHAT: dict[str, CommandName] = {
    "w": "whisper",
    "whisper": "whisper",
    "say": "say",
    "reveal": "reveal",
    "hide": "hide",
    "r": "canned",
    "invite": "invite",
    "transfer": "transfer",
    "take": "take",
    "close": "close",
    "info": "info",
    "help": "help",
    "coach": "coach",
    "ok": "ok",
    "edit": "edit",
    "no": "no",
}
_DESK: dict[str, CommandName] = {
    "chats": "chats",
    "supervise": "supervise",
    "take": "take",
    "stats": "stats",
    "help": "help",
}
HELP = (
    "Staff commands in a chat (never shown to the visitor):\n"
    "!w <text> or !whisper <text> - a message only staff see (also a private note)\n"
    "!say <text> - speak to the visitor, becoming visible if hidden\n"
    "!reveal - become visible to the visitor without speaking\n"
    "!hide - become hidden; the visitor sees you leave\n"
    "!r <name> - say a saved answer as your own ({visitor}, {agent} filled in); !r lists them\n"
    "!invite <jid|name|team> - bring a colleague in; they join hidden\n"
    "!transfer <jid|name|team> - make another agent the chat's agent\n"
    "!take - take the chat over (supervisors)\n"
    "!close [reason] - end the chat for everyone; the transcript is kept\n"
    "!info - visitor details, times, who is watching\n"
    "!coach <agent> / !coach off - the agent's answers wait for approval (supervisors)\n"
    "!ok [n] - send draft n (the newest if no number) to the visitor as written\n"
    "!edit [n] <text> - send draft n changed to <text>; the agent sees the change\n"
    "!no [n] [reason] - reject draft n; the agent is told why\n"
    "!help - this list"
)
DESK_HELP = (
    "Desk commands:\n"
    "!chats - waiting and active chats\n"
    "!supervise <chat> - get an invitation to watch a chat, hidden (supervisors)\n"
    "!take <chat> - take a chat over (supervisors)\n"
    "!stats - today's chats, waiting now, median first response and waiting times\n"
    "!help - this list\n"
    "Set your status to away, xa or dnd to stop receiving new chats."
)


@dataclass(frozen=True, slots=True)
class Command:
    name: CommandName
    word: str  # as typed, for the "unknown command" reply
    arg: str


def parse_command(body: str, desk: bool = False) -> Command | None:
    """The command in a staff message, or None for an ordinary message.

    ``!!text`` escapes the prefix; a lone ``!`` or ``! text`` is ordinary text.
    """
    if not body.startswith(PREFIX) or body.startswith(PREFIX * 2):
        return None
    rest = body[len(PREFIX) :]
    if not rest or rest[0].isspace():
        return None
    word, *arg = rest.split(None, 1)
    names = _DESK if desk else _CHAT
    return Command(names.get(word.lower(), "unknown"), word, arg[0].strip() if arg else "")


def unescape(body: str) -> str:
    """``!!text`` is sent as ``!text``."""
    return body[1:] if body.startswith(PREFIX * 2) else body
