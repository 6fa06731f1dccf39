"""Staff commands in a chat: ``!w``, ``!say``, ``!reveal``, ``!hide``, ``!help``.

The command message itself is reflected to staff only, so the sender's client
sees it delivered and colleagues see what happened; the visitor sees nothing of
it, ever. Replies go to the sender alone, from the room.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from component.muc.content import Content
from component.muc.rooms import Room
from roles.commands import HELP, Command
from roles.effects import Effect, Said
from roles.model import Occupant
from roles.visitor_text import quoted

log = logging.getLogger(__name__)
MakeSaid = Callable[[Occupant, bool, Content], Said]


def whispered(text: str) -> str:
    """The sender's receipt for a whisper: some clients show their own copy of a
    sent message, never the room's ``[whisper]`` reflection of it."""
    return f"Only staff saw: {quoted(text)}"


def run_command(
    room: Room,
    session_jid: str,
    sender: Occupant,
    command: Command,
    content: Content,
    make_said: MakeSaid,
) -> list[Effect]:
    state = room.state
    log.info("%s in %s: !%s", sender.jid, state.jid, command.name)
    if command.name == "whisper":
        if not command.arg:
            return state.tell(session_jid, "Usage: !w <text> - only staff will see it.")
        said = state.say(session_jid, make_said(sender, True, replace(content, body=command.arg)))
        return [*said, *state.tell(session_jid, whispered(command.arg))]

    effects: list[Effect] = state.say(session_jid, make_said(sender, True, content))
    if command.name == "say":
        if not command.arg:
            return [*effects, *state.tell(session_jid, "Usage: !say <text>")]
        effects.extend(state.reveal(session_jid))
        speaker = state.occupants[sender.nick]
        plain = replace(content, body=command.arg, id=None, origin_id=None)
        effects.extend(state.say(session_jid, make_said(speaker, False, plain)))
    elif command.name == "reveal":
        if not sender.hidden:
            effects.extend(state.tell(session_jid, "You are already visible to the visitor."))
        effects.extend(state.reveal(session_jid))
    elif command.name == "hide":
        if sender.hidden:
            effects.extend(state.tell(session_jid, "You are already hidden from the visitor."))
        effects.extend(state.hide(session_jid))
    elif command.name == "help":
        effects.extend(state.tell(session_jid, HELP))
    else:
        effects.extend(
            state.tell(session_jid, f"Unknown command !{command.word}. Type !help for the list.")
        )
    return effects
