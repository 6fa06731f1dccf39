"""Who someone is to the service: a visitor, or a staff member as the directory
has them now."""

from __future__ import annotations

from dataclasses import dataclass

from roles.model import Role
from storage.staff import StaffMember


@dataclass(frozen=True, slots=True)
class Person:
    jid: str  # bare
    role: Role
    name: str
    team: str = ""
    max_chats: int = 0
    coached: bool = False  # the directory coaches all their chats


def staff_person(member: StaffMember) -> Person:
    """A staff member as the directory has them now."""
    return Person(
        member.jid, member.role, member.name, member.team, member.max_chats, member.coached
    )
