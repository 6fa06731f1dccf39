"""Which agent a waiting chat is offered to.

Pure: the component passes a snapshot of agents (from desk presence and the
staff directory) and gets a decision back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

# XEP-0045 presence show values that mean "I can take chats" (none is "available").
AVAILABLE_SHOWS = (None, "chat")


@dataclass(frozen=True, slots=True)
class AgentState:
    jid: str
    team: str
    show: str | None  # None: available; "chat": eager; away/xa/dnd: not now
    active_chats: int
    max_chats: int
    idle_since: float  # when their last chat ended or they came online

    @property
    def can_take(self) -> bool:
        return self.show in AVAILABLE_SHOWS and self.active_chats < self.max_chats


def pick_agent(
    agents: Iterable[AgentState], team: str, passed: Collection[str] = ()
) -> AgentState | None:
    """Available agents of ``team`` under their cap, not yet passed on this chat:
    least busy first, then the longest idle."""
    candidates = [a for a in agents if a.team == team and a.can_take and a.jid not in passed]
    if not candidates:
        return None
    return min(candidates, key=lambda a: (a.active_chats, a.idle_since, a.jid))


def anyone_available(agents: Iterable[AgentState]) -> bool:
    return any(a.show in AVAILABLE_SHOWS for a in agents)
