"""The desk as the rooms see it (``component.muc.reception.Reception``): what
a join or a staff command asks before the room can answer."""

from __future__ import annotations

import time

from component.desk.commands import chat_command, desk_command
from component.desk.desk import Desk
from component.muc.chat_rows import chat_row
from component.muc.person import Person
from component.muc.rooms import Room
from component.muc.visitor_details import VisitorDetails
from roles.chat import Chat
from roles.commands import Command
from roles.effects import Effect
from roles.model import Occupant
from roles.refusal import Refused


class DeskReception:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    @property
    def room(self) -> Room:
        return self.desk.room

    async def chat_ended(self, local: str) -> bool:
        return await self.desk.store.get(local) is not None

    def check_new_chat(self) -> None:
        if self.desk.waiting_count() >= self.desk.config.limits.waiting_chats:
            raise Refused(
                "resource-constraint",
                "We are very busy right now; please try again in a few minutes.",
                "wait",
            )

    def open_chat(
        self, room: Room, visitor_jid: str, nick: str, details: VisitorDetails | None
    ) -> Chat:
        return self.desk.open_chat(room, visitor_jid, nick, details)

    async def chat_failed(self, room: Room) -> None:
        if room.chat is not None:
            room.chat.close(time.time(), "The chat could not be opened.")
            await self.desk.store.save(chat_row(room.chat))

    def staff_member(self, jid: str) -> Person | None:
        return self.desk.members.get(jid)

    async def desk_command(
        self, session_jid: str, sender: Occupant, command: Command
    ) -> list[Effect]:
        return await desk_command(self.desk, session_jid, sender, command)

    async def chat_command(
        self, room: Room, session_jid: str, sender: Occupant, command: Command
    ) -> list[Effect]:
        return await chat_command(self.desk, room, session_jid, sender, command)
