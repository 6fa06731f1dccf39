"""``!r <name>``: a canned reply, said in the chat as the sender's own words.

The command message itself is reflected to staff only, as ``!say``'s is; the
saved text, with ``{visitor}`` and ``{agent}`` filled in, then goes on exactly
as if the sender had typed it (``MessageHandler``): a hidden sender is revealed
first (or whispers, with ``supervisor_speech = "whisper"``), and the visitor
hears it from the sender. ``!r`` alone, or an unknown name, is answered to the
sender alone with the names the chat's team may use.
"""

from __future__ import annotations

from dataclasses import replace

from component.muc.commands import MakeSaid
from component.muc.content import Content
from component.muc.rooms import Room
from component.muc.service import MucService
from roles.authorization import may
from roles.canned import fill, for_team, listing
from roles.commands import Command
from roles.model import Occupant
from roles.visitor_text import quoted
from storage.canned import CannedReplies


async def speak_canned(
    muc: MucService,
    room: Room,
    session_jid: str,
    sender: Occupant,
    command: Command,
    content: Content,
    make_said: MakeSaid,
) -> Content | None:
    """What to say for ``!r``, or None when the sender was told why nothing is."""
    chat = room.chat
    state = room.state
    assert chat is not None  # a chat command: the desk has no canned replies
    await muc.publish(room, state.say(session_jid, make_said(sender, True, content)))
    if not may(sender.role, "canned-reply"):
        await muc.publish(room, state.tell(session_jid, "You may not use !r; ask an admin."))
        return None
    saved = await CannedReplies(muc.db).list(chat.team)
    replies = for_team([(r.team, r.name, r.text) for r in saved], chat.team)
    name = command.arg.lower()
    text = replies.get(name) if name else None
    if text is None:
        notice = listing(replies, chat.team)
        if name:
            notice = f"There is no canned reply {quoted(command.arg, 64)}. {notice}"
        await muc.publish(room, state.tell(session_jid, notice))
        return None
    said = fill(text, visitor=chat.visitor_name, agent=sender.name)
    return replace(content, body=said, id=None, origin_id=None)
