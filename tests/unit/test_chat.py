"""Chat lifecycle and who may enter (pure)."""

from __future__ import annotations

import pytest

from roles.assignment import joins_hidden
from roles.chat import Chat
from roles.refusal import Refused
from roles.room import RoomState


def test_agents_enter_waiting_offered_assigned_or_invited_chats_only():
    chat = Chat("chat-0123456789abcdef", "support", 0.0)
    chat.may_enter("a@x", "agent")  # waiting: anyone may pick it up
    chat.assign("a@x", 5.0)
    assert (chat.status, chat.assigned_at) == ("active", 5.0)
    chat.may_enter("a@x", "agent")
    with pytest.raises(Refused) as refused:
        chat.may_enter("b@x", "agent")
    assert (refused.value.condition, refused.value.etype) == ("forbidden", "auth")
    chat.invited.add("b@x")
    chat.may_enter("b@x", "agent")
    chat.may_enter("s@x", "supervisor")
    chat.close(9.0, "done")
    with pytest.raises(Refused):
        chat.may_enter("s@x", "supervisor")


def test_first_agent_claims_and_is_visible_others_hidden():
    room = RoomState("chat-0123456789abcdef@s")
    chat = Chat("chat-0123456789abcdef", "support", 0.0)
    assert joins_hidden(room, chat, "s@x", "supervisor", 1.0)
    assert chat.assigned is None
    assert not joins_hidden(room, chat, "a@x", "agent", 2.0)
    assert chat.assigned == "a@x"
    assert joins_hidden(room, chat, "b@x", "agent", 3.0)
    assert not joins_hidden(room, chat, "v@guest", "visitor", 3.0)
    # The desk has no chat: nobody hides there.
    assert not joins_hidden(room, None, "s@x", "supervisor", 4.0)
