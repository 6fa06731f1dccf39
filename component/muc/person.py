"""Who someone is to the service: a visitor, or a staff member as the directory
has them now."""

from __future__ import annotations

from dataclasses import dataclass

from roles.model import Role


@dataclass(frozen=True, slots=True)
class Person:
    jid: str  # bare
    role: Role
    name: str
    team: str = ""
    max_chats: int = 0
    coached: bool = False  # the directory coaches all their chats
