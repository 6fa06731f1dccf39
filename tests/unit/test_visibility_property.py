"""Property test of the pure policy: whatever happens in a room, in any order,
with several sessions per person, the visitor's view never holds a hidden
person or a whisper, and every staff view holds everyone."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roles.assignment import joins_hidden
from roles.chat import Chat
from roles.effects import Effect, HistoryOut, MessageOut, NoticeOut, PresenceOut, PrivateOut, Said
from roles.model import Role, Session
from roles.refusal import Refused
from roles.room import RoomState

PEOPLE: dict[str, tuple[Role, str]] = {
    "alice@guest.test": ("visitor", "Alice"),
    "jennie@staff.test": ("agent", "Jennie"),
    "josh@staff.test": ("agent", "Josh"),
    "john@staff.test": ("supervisor", "John"),
}
SESSIONS = [f"{jid}/{r}" for jid in PEOPLE for r in ("a", "b")]
OPS = ("join", "leave", "say", "whisper", "speak", "reveal", "hide", "nick", "status")


class Views:
    """What each session has been told: the nicks it believes are present."""

    def __init__(self) -> None:
        self.present: dict[str, set[str]] = {}

    def apply(self, room: RoomState, effects: list[Effect]) -> None:
        for effect in effects:
            view = self.present.setdefault(effect.to, set())
            viewer = effect.viewer
            if isinstance(effect, PresenceOut):
                if effect.session is None and effect.to not in room.nick_of_session:
                    del self.present[effect.to]  # this session itself left
                elif effect.session is None:
                    view.discard(effect.occupant.nick)
                else:
                    view.add(effect.occupant.nick)
            elif isinstance(effect, MessageOut):
                check_message(viewer.role, effect.said, view)
            elif isinstance(effect, HistoryOut):
                for said in effect.entries:
                    if viewer.role == "visitor":
                        assert not said.staff_only and not said.sender.hidden
            elif isinstance(effect, NoticeOut):
                assert viewer.role != "visitor", "a staff notice reached the visitor"
            elif isinstance(effect, PrivateOut):
                assert viewer.role != "visitor" and effect.sender.role != "visitor"


def check_message(role: str, said: Said, view: set[str]) -> None:
    if role == "visitor":
        assert not said.staff_only, "a whisper reached the visitor"
        assert not said.sender.hidden, "a hidden person's message reached the visitor"
        # LEAKS #26: never a message from a nick the visitor has no presence for.
        assert said.sender.nick in view


def check_views(room: RoomState, views: Views) -> None:
    everyone = set(room.occupants)
    for session, nick in room.nick_of_session.items():
        viewer = room.occupants[nick]
        seen = views.present.get(session, set())
        if viewer.role == "visitor":
            visible = {n for n, o in room.occupants.items() if not o.hidden}
            assert seen == visible, f"visitor sees {seen}, should see {visible}"
        else:
            assert seen == everyone, f"{nick} sees {seen}, should see {everyone}"


def apply(room: RoomState, chat: Chat, op: str, session: str, arg: int) -> list[Effect]:
    bare = session.split("/")[0]
    role, name = PEOPLE[bare]
    occupant = room.occupant_of(session)
    if op == "join":
        hidden = joins_hidden(room, chat, bare, role, 0.0)
        return room.join(Session(session), bare, role, name, name, hidden=hidden)
    if occupant is None:
        return []
    if op == "leave":
        return room.leave(session)
    if op in ("say", "whisper", "speak"):
        out: list[Effect] = []
        if op == "speak":  # what the component does when a hidden person speaks
            out = room.reveal(session)
            occupant = room.occupants[occupant.nick]
        said = Said(occupant, op == "whisper", float(arg), f"s{arg}", None)
        return out + room.say(session, said)
    if op == "reveal":
        return room.reveal(session)
    if op == "hide":
        return room.hide(session)
    if op == "nick":
        return room.change_nick(session, f"{name}{arg % 3}")
    return room.update(Session(session, "away" if arg % 2 else None, f"s{arg}"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(OPS), st.sampled_from(SESSIONS), st.integers(0, 5)),
        max_size=40,
    )
)
def test_visitor_never_sees_hidden_people_or_whispers_and_staff_see_everyone(ops):
    room = RoomState("chat-0123456789abcdef@support.test")
    chat = Chat("chat-0123456789abcdef", "support", 0.0)
    views = Views()
    for op, session, arg in ops:
        try:
            effects = apply(room, chat, op, session, arg)
        except Refused:
            continue
        views.apply(room, effects)
        check_views(room, views)
        # Hidden is a property of the person: all their sessions agree.
        for occupant in room.occupants.values():
            assert occupant.role != "visitor" or not occupant.hidden
