"""What the rooms must ask of the desk before they can answer a stanza.

The rooms sit below the desk: they tell it what happened through chat events
(``events.py``), and ask it, through this protocol, the few things a join or a
command cannot go on without. The desk (``component.desk.desk.Desk``)
implements it; ``component.app`` plugs it in.
"""

from __future__ import annotations

from typing import Protocol

from component.muc.person import Person
from component.muc.rooms import Room
from component.muc.visitor_details import VisitorDetails
from roles.chat import Chat
from roles.commands import Command
from roles.effects import Effect
from roles.model import Occupant


class Reception(Protocol):
    @property
    def room(self) -> Room:
        """The desk's own room."""
        ...

    async def chat_ended(self, local: str) -> bool:
        """Whether ``local`` names a chat that existed and is over."""
        ...

    def check_new_chat(self) -> None:
        """Raise ``Refused`` if no chat may be opened now (the line is full)."""
        ...

    def open_chat(
        self, room: Room, visitor_jid: str, nick: str, details: VisitorDetails | None
    ) -> Chat:
        """The record of a new chat, set on ``room``; stored by the join's commit."""
        ...

    async def chat_failed(self, room: Room) -> None:
        """A new chat's opening failed half-way: it is recorded as ended."""
        ...

    def staff_member(self, jid: str) -> Person | None:
        """The staff member as the desk knows them (on the desk now), else None."""
        ...

    async def desk_command(
        self, session_jid: str, sender: Occupant, command: Command
    ) -> list[Effect]:
        ...

    async def chat_command(
        self, room: Room, session_jid: str, sender: Occupant, command: Command
    ) -> list[Effect]:
        ...
