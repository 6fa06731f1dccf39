"""Who a chat belongs to, and so who joins it visible.

The agent a chat is assigned to is visible; the first agent to join a waiting
chat is assigned it. Every other staff member (supervisors, invited colleagues
from other teams) joins hidden. Someone already in the room keeps their state
when another of their sessions joins.
"""

from __future__ import annotations

from roles.chat import Chat
from roles.model import Role
from roles.room import RoomState


def joins_hidden(room: RoomState, chat: Chat | None, jid: str, role: Role, now: float) -> bool:
    """Decide visibility for a person entering ``room``; claims a waiting chat for an agent."""
    if role == "visitor":
        return False
    current = room.person(jid)
    if current is not None:
        return current.hidden
    if chat is None:
        return False  # the desk: staff only, nobody to hide from
    if chat.assigned is None and role == "agent":
        chat.assign(jid, now)
    return chat.assigned != jid
