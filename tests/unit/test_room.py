"""The pure room core: joins, leaves, nicks, messages, multi-session."""

from __future__ import annotations

import weakref

import pytest

from roles.assignment import joins_hidden
from roles.chat import Chat
from roles.effects import HistoryOut, MessageOut, PresenceOut, Said, SubjectOut
from roles.model import Session
from roles.refusal import Refused
from roles.room import RoomState

ROOM = "chat-0123456789abcdef@support.test"
VISITOR = "v1@guest.test/r"
AGENT = "jennie@staff.test/laptop"
SUPERVISOR = "john@staff.test/desk"


def enter(room: RoomState, full: str, role: str, name: str, nick: str = "nick"):
    bare = full.split("/")[0]
    chat = _chats.setdefault(room, Chat("chat-0123456789abcdef", "support", 0.0))
    hidden = joins_hidden(room, chat, bare, role, 0.0)  # type: ignore[arg-type]
    return room.join(Session(full), bare, role, name, nick, hidden=hidden, join_id="j1")  # type: ignore[arg-type]


_chats: weakref.WeakKeyDictionary[RoomState, Chat] = weakref.WeakKeyDictionary()


def to(effects, jid):
    return [e for e in effects if e.to == jid]


def said(room: RoomState, full: str, text: str = "hi", staff_only: bool = False):
    sender = room.occupant_of(full)
    assert sender is not None
    return room.say(full, Said(sender, staff_only, 1.0, f"id-{text}", text))


def test_visitor_gets_a_visitor_nick_with_210_and_the_join_sequence_in_order():
    room = RoomState(ROOM)
    effects = enter(room, VISITOR, "visitor", "Alice", "Alice")
    kinds = [type(e) for e in effects]
    assert kinds == [PresenceOut, HistoryOut, SubjectOut]
    self_presence = effects[0]
    assert isinstance(self_presence, PresenceOut)
    assert self_presence.occupant.nick == "Alice (visitor)"
    assert self_presence.codes == {110, 210}
    assert self_presence.id == "j1"


def test_others_presence_comes_before_self_presence_and_others_are_told():
    room = RoomState(ROOM)
    enter(room, VISITOR, "visitor", "Alice", "Alice")
    effects = enter(room, AGENT, "agent", "Jennie", "Jennie")
    mine = to(effects, AGENT)
    assert [e.occupant.nick for e in mine if isinstance(e, PresenceOut)] == [
        "Alice (visitor)",
        "Jennie",
    ]
    assert mine[1].codes == {110}  # nick kept: no 210
    told = to(effects, VISITOR)
    assert len(told) == 1 and told[0].occupant.nick == "Jennie" and not told[0].codes


def test_a_second_visitor_is_refused_and_changes_nothing():
    room = RoomState(ROOM)
    enter(room, VISITOR, "visitor", "Alice", "Alice")
    with pytest.raises(Refused) as refused:
        enter(room, "v2@guest.test/x", "visitor", "Bob", "Bob")
    assert refused.value.condition == "service-unavailable"
    assert list(room.occupants) == ["Alice (visitor)"]


def test_second_session_shares_the_nick_and_leaving_one_keeps_the_other():
    room = RoomState(ROOM)
    enter(room, VISITOR, "visitor", "Alice", "Alice")
    enter(room, AGENT, "agent", "Jennie", "whatever")
    effects = enter(room, "jennie@staff.test/phone", "agent", "Jennie", "Jennie")
    assert room.sessions["Jennie"].keys() == {AGENT, "jennie@staff.test/phone"}
    # The other session is told with 110: it is about itself.
    assert to(effects, AGENT)[0].codes == {110}
    effects = room.leave(AGENT)
    assert "Jennie" in room.occupants
    assert all(e.session is not None for e in effects if e.to != AGENT)
    effects = room.leave("jennie@staff.test/phone")
    gone = to(effects, VISITOR)
    assert len(gone) == 1 and gone[0].session is None
    assert "Jennie" not in room.occupants


def test_messages_reach_everyone_including_the_sender():
    room = RoomState(ROOM)
    enter(room, VISITOR, "visitor", "Alice", "Alice")
    enter(room, AGENT, "agent", "Jennie", "Jennie")
    effects = said(room, VISITOR, "hello")
    assert {e.to for e in effects} == {VISITOR, AGENT}
    assert all(isinstance(e, MessageOut) for e in effects)


def test_staff_nick_collision_uses_the_persons_own_jid_not_a_counter():
    room = RoomState(ROOM)
    enter(room, AGENT, "agent", "Sam", "Sam")
    enter(room, "sam@staff.test/x", "supervisor", "Sam", "Sam")
    assert set(room.occupants) == {"Sam", "Sam (sam)"}


def test_visitor_nick_change_stays_in_the_visitor_namespace():
    room = RoomState(ROOM)
    enter(room, VISITOR, "visitor", "Alice", "Alice")
    enter(room, AGENT, "agent", "Jennie", "Jennie")
    effects = room.change_nick(VISITOR, "Jennie")
    assert "Jennie (visitor)" in room.occupants and "Jennie" in room.occupants
    first = to(effects, AGENT)[0]
    assert first.codes == {303} and first.new_nick == "Jennie (visitor)"


def test_staff_may_not_take_a_visitor_nick_or_a_taken_one():
    room = RoomState(ROOM)
    enter(room, VISITOR, "visitor", "Alice", "Alice")
    enter(room, AGENT, "agent", "Jennie", "Jennie")
    enter(room, SUPERVISOR, "supervisor", "John", "John")
    with pytest.raises(Refused):
        room.change_nick(AGENT, "Bob (visitor)")
    with pytest.raises(Refused) as refused:
        room.change_nick(AGENT, "John")
    assert refused.value.condition == "conflict"
    assert set(room.occupants) == {"Alice (visitor)", "Jennie", "John"}


def test_history_is_delivered_on_join_and_subject_always():
    room = RoomState(ROOM)
    enter(room, VISITOR, "visitor", "Alice", "Alice")
    said(room, VISITOR, "one")
    room.set_subject("Billing")
    effects = enter(room, AGENT, "agent", "Jennie", "Jennie")
    history = next(e for e in effects if isinstance(e, HistoryOut))
    assert [s.payload for s in history.entries] == ["one"]
    assert next(e for e in effects if isinstance(e, SubjectOut)).subject == "Billing"


def test_leaving_without_joining_is_refused():
    room = RoomState(ROOM)
    with pytest.raises(Refused):
        room.leave(VISITOR)
