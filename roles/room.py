"""The room core: applies one event to a chat room and returns what to deliver.

Pure: no I/O, no clocks (callers pass stamps). Every effect is addressed to one
session and was checked against ``roles.visibility`` here, so the XMPP edge only
builds and sends (DESIGN §4, invariant 1: one door out).

XEP-0045 §7.2 (join), §7.3 (nick change), §7.7 (presence updates), §7.14
(leave), §7.4 (messages); several sessions of one bare JID share one nick.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import replace

from roles.effects import (
    Effect,
    HistoryOut,
    MessageOut,
    NoticeOut,
    PresenceOut,
    PrivateOut,
    Said,
    SubjectOut,
)
from roles.model import Occupant, Role, Session
from roles.nicks import SERVICE_NICK, is_visitor_nick, staff_nick, visitor_nick
from roles.refusal import Refused
from roles.visibility import hears_said, may_message_privately, sees

SELF = frozenset({110})


class RoomState:
    def __init__(self, jid: str, history_size: int = 200) -> None:
        self.jid = jid
        self.occupants: dict[str, Occupant] = {}  # by nick
        # Per nick, its sessions in order of last presence: the last is the one
        # whose presence represents the occupant.
        self.sessions: dict[str, dict[str, Session]] = {}
        self.nick_of_session: dict[str, str] = {}
        self.nick_of_jid: dict[str, str] = {}
        self.history: deque[Said] = deque(maxlen=history_size)
        self.subject = ""

    # -- lookups ---------------------------------------------------------------

    def occupant_of(self, session_jid: str) -> Occupant | None:
        nick = self.nick_of_session.get(session_jid)
        return self.occupants[nick] if nick is not None else None

    def person(self, bare_jid: str) -> Occupant | None:
        nick = self.nick_of_jid.get(bare_jid)
        return self.occupants[nick] if nick is not None else None

    def visitor(self) -> Occupant | None:
        return next((o for o in self.occupants.values() if o.role == "visitor"), None)

    def visible_to(self, viewer: Occupant) -> list[Occupant]:
        return [o for o in self.occupants.values() if sees(viewer, o)]

    def count_for(self, role: Role) -> int:
        """How many occupants someone of ``role`` may know about (LEAKS #5)."""
        if role == "visitor":
            return sum(1 for o in self.occupants.values() if not o.hidden)
        return len(self.occupants)

    def primary(self, nick: str) -> Session:
        return next(reversed(self.sessions[nick].values()))

    def is_empty(self) -> bool:
        return not self.occupants

    def _viewers(self) -> Iterator[tuple[str, Occupant]]:
        for nick, sessions in self.sessions.items():
            viewer = self.occupants[nick]
            for session_jid in sessions:
                yield session_jid, viewer

    def _broadcast_presence(
        self,
        occupant: Occupant,
        session: Session | None,
        codes: frozenset[int] = frozenset(),
        new_nick: str | None = None,
        skip: str | None = None,
        status: str | None = None,
    ) -> list[Effect]:
        out: list[Effect] = []
        for to, viewer in self._viewers():
            if to == skip or not sees(viewer, occupant):
                continue
            own = codes | SELF if viewer.jid == occupant.jid else codes
            out.append(PresenceOut(to, viewer, occupant, session, own, new_nick, status=status))
        return out

    # -- events ----------------------------------------------------------------

    def join(
        self,
        session: Session,
        bare_jid: str,
        role: Role,
        name: str,
        requested_nick: str,
        *,
        hidden: bool = False,
        join_id: str | None = None,
    ) -> list[Effect]:
        """A session enters; raises Refused when it may not."""
        if session.jid in self.nick_of_session:
            return self.update(session)
        existing = self.person(bare_jid)
        first_session = existing is None
        if existing is None:
            if role == "visitor":
                if self.visitor() is not None:
                    raise Refused("service-unavailable", "This chat already has a visitor.", "wait")
                nick = visitor_nick(requested_nick)
            else:
                nick = staff_nick(name, bare_jid, self.occupants)
            occupant = Occupant(nick, bare_jid, role, name, hidden)
            self.occupants[nick] = occupant
            self.sessions[nick] = {}
            self.nick_of_jid[bare_jid] = nick
        else:
            occupant = existing
        nick = occupant.nick
        self.sessions[nick][session.jid] = session
        self.nick_of_session[session.jid] = nick

        out: list[Effect] = []
        for other in self.visible_to(occupant):
            if other.nick != nick:
                out.append(PresenceOut(session.jid, occupant, other, self.primary(other.nick)))
        codes = SELF | ({210} if nick != requested_nick else set())
        out.append(
            PresenceOut(session.jid, occupant, occupant, session, codes, id=join_id, entering=True)
        )
        out.extend(self._broadcast_presence(occupant, session, skip=session.jid))
        out.append(HistoryOut(session.jid, occupant, self.history_for(occupant)))
        out.append(SubjectOut(session.jid, occupant, self.subject))
        if first_session and occupant.hidden:
            out.extend(
                self.notify_staff(
                    f"{occupant.name} is supervising this chat, hidden from the visitor."
                )
            )
        return out

    def update(self, session: Session) -> list[Effect]:
        """A joined session changes its show or status."""
        nick = self._nick(session.jid)
        sessions = self.sessions[nick]
        del sessions[session.jid]
        sessions[session.jid] = session
        return self._broadcast_presence(self.occupants[nick], session)

    def leave(self, session_jid: str, status: str | None = None) -> list[Effect]:
        nick = self._nick(session_jid)
        occupant = self.occupants[nick]
        del self.sessions[nick][session_jid]
        del self.nick_of_session[session_jid]
        out: list[Effect] = [
            PresenceOut(session_jid, occupant, occupant, None, SELF, status=status)
        ]
        if self.sessions[nick]:
            out.extend(self._broadcast_presence(occupant, self.primary(nick)))
            return out
        out.extend(self._broadcast_presence(occupant, None, status=status))
        del self.sessions[nick], self.occupants[nick], self.nick_of_jid[occupant.jid]
        return out

    def change_nick(
        self, session_jid: str, requested: str, session: Session | None = None
    ) -> list[Effect]:
        """``session``: the presence that asked, which also updates show and status."""
        nick = self._nick(session_jid)
        occupant = self.occupants[nick]
        if occupant.role == "visitor":
            new = visitor_nick(requested)
        elif is_visitor_nick(requested):
            raise Refused("not-acceptable", "That nickname is reserved for visitors.")
        else:
            new = " ".join(requested.split())
        if new == nick:
            # The nick the visitor asked for maps to the one they have: an update.
            return self.update(session or self.sessions[nick][session_jid])
        if new in self.occupants or new == SERVICE_NICK:
            # Only staff can reach this: visitor nicks never collide with staff.
            raise Refused("conflict", "That nickname is already in use.")
        out = self._broadcast_presence(occupant, None, frozenset({303}), new_nick=new)
        renamed = replace(occupant, nick=new)
        del self.occupants[nick]
        self.occupants[new] = renamed
        self.sessions[new] = self.sessions.pop(nick)
        for jid in self.sessions[new]:
            self.nick_of_session[jid] = new
        self.nick_of_jid[occupant.jid] = new
        codes = frozenset({210}) if new != requested else frozenset()
        out.extend(self._broadcast_presence(renamed, self.primary(new), codes))
        return out

    def say(self, session_jid: str, said: Said) -> list[Effect]:
        """Reflect a message to everyone who may hear it, sender included.

        Only archived messages (those with a stanza-id) enter the history; chat
        states pass through.
        """
        if said.stanza_id:
            self.history.append(said)
        return [
            MessageOut(to, viewer, said)
            for to, viewer in self._viewers()
            if hears_said(viewer, said)
        ]

    def echo(self, session_jid: str, said: Said) -> list[Effect]:
        """Reflect a message to its sender's sessions alone (a desk command)."""
        nick = self._nick(session_jid)
        return [MessageOut(to, self.occupants[nick], said) for to in self.sessions[nick]]

    def set_subject(self, subject: str) -> list[Effect]:
        self.subject = subject
        return [SubjectOut(to, viewer, subject) for to, viewer in self._viewers()]

    def reveal(self, session_jid: str) -> list[Effect]:
        """A hidden staff member becomes visible: those who could not see them get
        their presence now, before anything they say."""
        occupant = self.occupant_of(session_jid)
        if occupant is None or not occupant.hidden:
            return []
        revealed = replace(occupant, hidden=False)
        self.occupants[occupant.nick] = revealed
        out = self._broadcast_presence(revealed, self.primary(revealed.nick))
        out.extend(self.notify_staff(f"{occupant.name} is now visible to the visitor."))
        return out

    def hide(self, session_jid: str) -> list[Effect]:
        """A visible staff member hides: to the visitor it looks like leaving."""
        occupant = self.occupant_of(session_jid)
        if occupant is None or occupant.hidden or not occupant.is_staff:
            return []
        out: list[Effect] = [
            PresenceOut(to, viewer, occupant, None)
            for to, viewer in self._viewers()
            if not viewer.is_staff
        ]
        hidden = replace(occupant, hidden=True)
        self.occupants[occupant.nick] = hidden
        out.extend(self._broadcast_presence(hidden, self.primary(hidden.nick)))
        out.extend(self.notify_staff(f"{occupant.name} is now hidden from the visitor."))
        return out

    def destroy(self, reason: str = "") -> list[Effect]:
        """XEP-0045 §10.9: each session is told the room is gone, about itself only."""
        out: list[Effect] = [
            PresenceOut(to, viewer, viewer, None, SELF, status=reason, destroyed=True)
            for to, viewer in self._viewers()
        ]
        self.occupants.clear()
        self.sessions.clear()
        self.nick_of_session.clear()
        self.nick_of_jid.clear()
        return out

    def private(self, session_jid: str, nick: str, payload: object) -> list[Effect]:
        """A private message to one nick; to anyone who may not, every nick is absent."""
        sender = self.occupants[self._nick(session_jid)]
        recipient = self.occupants.get(nick)
        if recipient is None or not may_message_privately(sender, recipient):
            raise Refused("item-not-found", "There is no such occupant in this chat.")
        return [PrivateOut(to, recipient, sender, payload) for to in self.sessions[recipient.nick]]

    def notify_staff(self, text: str) -> list[Effect]:
        return [NoticeOut(to, viewer, text) for to, viewer in self._viewers() if viewer.is_staff]

    def tell(self, session_jid: str, text: str) -> list[Effect]:
        """A notice to every session of the person behind ``session_jid``."""
        return self.tell_nick(self._nick(session_jid), text)

    def tell_nick(self, nick: str, text: str) -> list[Effect]:
        occupant = self.occupants.get(nick)
        if occupant is None:
            return []
        return [NoticeOut(to, occupant, text) for to in self.sessions[nick]]

    def history_for(self, viewer: Occupant) -> tuple[Said, ...]:
        return tuple(s for s in self.history if hears_said(viewer, s))

    def _nick(self, session_jid: str) -> str:
        nick = self.nick_of_session.get(session_jid)
        if nick is None:
            raise Refused("not-acceptable", "You are not in this room.", "modify")
        return nick
