"""Who a chat belongs to, and so who joins it visible.

The first agent to join a chat becomes its assigned agent and is visible; every
other staff member (supervisors, colleagues from other teams) joins hidden.
"""

from __future__ import annotations

from roles.model import Role
from roles.room import RoomState


def joins_hidden(room: RoomState, jid: str, role: Role) -> bool:
    """Decide visibility for a person entering ``room``; claims the chat for a first agent."""
    if role == "visitor":
        return False
    current = room.person(jid)
    if current is not None:
        return current.hidden
    if room.assigned is None and role == "agent":
        room.assigned = jid
    return room.assigned != jid
