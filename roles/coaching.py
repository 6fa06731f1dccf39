"""Coaching: a supervisor approves a trainee's answers before the visitor reads them.

A coached agent's plain messages are said to staff only, as numbered drafts;
a supervisor approves one as it is (``!ok [n]``), changes it (``!edit [n] <text>``)
or rejects it (``!no [n] [reason]``). Only an approved draft reaches the visitor,
said anew as the agent's own message; the draft itself was staff-only from the
start, so every channel that keeps whispers from the visitor keeps drafts too.

This module holds a chat's coaching state and decides; the edge says the
messages (``component.muc.coaching``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from roles.effects import Said
from roles.refusal import Refused

# When no supervisor is there to act, or none acts in time.
Unattended = Literal["send", "wait"]


@dataclass(frozen=True, slots=True)
class CoachingPolicy:
    # Seconds a draft waits for a supervisor before ``unattended`` applies; 0: forever.
    approval_timeout: float = 60.0
    unattended: Unattended = "send"


@dataclass(slots=True)
class Draft:
    number: int
    agent: str  # the agent's bare JID
    said: Said  # as staff saw it
    content: Any  # what the visitor gets if it is approved as it is
    at: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a supervisor decided on a draft: ``text`` None sends it as written."""

    draft: Draft
    action: Literal["approved", "edited", "rejected", "sent unreviewed"]
    by: str  # the supervisor's display name, or "" when nobody acted
    text: str | None = None
    waited: float = 0.0


@dataclass(slots=True)
class Coaching:
    """One chat's coached agents (bare JIDs) and their pending drafts."""

    coached: set[str] = field(default_factory=set)
    drafts: dict[int, Draft] = field(default_factory=dict)
    last_number: int = 0

    def is_coached(self, jid: str) -> bool:
        return jid in self.coached

    def add(self, agent: str, said: Said, content: Any, now: float) -> Draft:
        draft = Draft(said.draft, agent, said, content, now)
        self.drafts[draft.number] = draft
        return draft

    def next_number(self) -> int:
        self.last_number += 1
        return self.last_number

    def pending(self) -> Iterator[Draft]:
        return iter(self.drafts.values())

    def find(self, number: int | None) -> Draft:
        """Draft ``number``, or the newest one when None."""
        if not self.drafts:
            raise Refused("item-not-found", "No draft is waiting for approval.")
        if number is None:
            return self.drafts[max(self.drafts)]
        found = self.drafts.get(number)
        if found is None:
            waiting = ", ".join(str(n) for n in self.drafts)
            raise Refused("item-not-found", f"No draft {number}; waiting: {waiting}.")
        return found

    def decide(self, verdict: Verdict) -> Verdict:
        del self.drafts[verdict.draft.number]
        return verdict

    def revise(self, number: int, content: Any) -> None:
        """The agent corrected a pending draft: approval sends the corrected text."""
        draft = self.drafts.get(number)
        if draft is not None:
            draft.content = content


def parse_target(arg: str) -> tuple[int | None, str]:
    """``!ok 3``, ``!edit 3 new text``, ``!no too blunt``: a leading number names
    the draft (else the newest); the rest is the text or reason."""
    head, _, rest = arg.strip().partition(" ")
    if head.isdigit() and len(head) <= 6:
        return int(head), rest.strip()
    return None, arg.strip()


def draft_mark(number: int) -> str:
    """How staff read a draft's body: awaiting approval, and how to give it."""
    return f"[draft {number}, awaiting approval: !ok {number} · !edit {number} … · !no {number}] "
