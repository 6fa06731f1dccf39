"""Chat statistics: how many chats, how quickly answered, how long, by whom — no I/O.

Definitions (the README's "Reports" section repeats them for readers):

- *chats*: chats created in the window; a chat belongs to the day and hour it was
  created, and to the agent assigned to it last (after a transfer or a take-over).
- *answered*: a staff message reached the visitor (``answered`` is set);
  *missed*: closed without one. A chat still waiting or open without an answer
  is neither.
- *first response* = answered - created; *wait* = assigned_at - created (chats
  that got an agent); *duration* = closed - created (closed chats).
- *ratings*: the scores (1 to 5) visitors gave chats of the window, counted
  with their mean and how many of each, in all and per agent (the chat's last).
- *median* and *p90* are percentiles by linear interpolation between the two
  nearest ranks (numpy's default, Excel's PERCENTILE.INC), so the median is the
  usual one: the mean of the middle two for an even count, as the desk's
  ``!stats`` computes it. None when there is no value.

Days and hours are local time unless a ``tz`` is given: a report is read by
people whose day starts at their midnight, not UTC's.

The live dashboard calls ``totals``, ``per_day`` and ``per_hour`` on every
refresh, so each is one pass over the facts plus one sort per measure.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Protocol, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class ChatFacts:
    """What a report needs of one chat (a row of ``chats``, times in epoch seconds)."""

    id: str
    team: str
    created: float
    assigned: str | None = None  # the agent's bare JID
    assigned_at: float | None = None
    answered: float | None = None  # first staff message the visitor saw
    closed: float | None = None
    close_reason: str = ""
    score: int | None = None  # the visitor's rating, 1 to 5, if she gave one

    @property
    def is_missed(self) -> bool:
        return self.closed is not None and self.answered is None


@dataclass(frozen=True, slots=True)
class Times:
    median: float | None
    p90: float | None


NO_TIMES = Times(None, None)


@dataclass(frozen=True, slots=True)
class Totals:
    chats: int
    answered: int
    missed: int
    first_response: Times
    wait: Times
    duration: Times


EMPTY = Totals(0, 0, 0, NO_TIMES, NO_TIMES, NO_TIMES)


@dataclass(frozen=True, slots=True)
class Ratings:
    """Visitors' ratings: how many, their mean, and how many of each score."""

    count: int
    average: float | None
    distribution: tuple[int, int, int, int, int]  # scores 1 to 5


NO_RATINGS = Ratings(0, None, (0, 0, 0, 0, 0))


class Audited(Protocol):
    """An audit-log entry as far as reports care (``storage.audit.AuditEntry`` is one)."""

    @property
    def actor(self) -> str: ...

    @property
    def action(self) -> str: ...


def _ranked(ordered: Sequence[float], q: float) -> float:
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0 to 100) of ``values`` by linear interpolation;
    None when there are none."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile: q must be between 0 and 100, got {q}")
    ordered = sorted(values)
    return _ranked(ordered, q) if ordered else None


def times(values: Iterable[float]) -> Times:
    """Median and p90 of ``values``, sorted once for both."""
    ordered = sorted(values)
    if not ordered:
        return NO_TIMES
    return Times(_ranked(ordered, 50), _ranked(ordered, 90))


def totals(facts: Iterable[ChatFacts]) -> Totals:
    chats = answered = missed = 0
    first: list[float] = []
    wait: list[float] = []
    duration: list[float] = []
    for f in facts:
        chats += 1
        if f.answered is not None:
            answered += 1
            first.append(f.answered - f.created)
        elif f.closed is not None:
            missed += 1
        if f.assigned_at is not None:
            wait.append(f.assigned_at - f.created)
        if f.closed is not None:
            duration.append(f.closed - f.created)
    if not chats:
        return EMPTY
    return Totals(chats, answered, missed, times(first), times(wait), times(duration))


def local_day(stamp: float, tz: tzinfo | None = None) -> date:
    """The calendar day of ``stamp`` in ``tz`` (None: the machine's local time)."""
    return datetime.fromtimestamp(stamp, tz).date()


def local_hour(stamp: float, tz: tzinfo | None = None) -> int:
    return datetime.fromtimestamp(stamp, tz).hour


def _grouped(
    facts: Iterable[ChatFacts], key: Callable[[ChatFacts], K | None]
) -> dict[K, list[ChatFacts]]:
    """Facts by ``key``; a None key leaves the fact out."""
    groups: dict[K, list[ChatFacts]] = defaultdict(list)
    for f in facts:
        k = key(f)
        if k is not None:
            groups[k].append(f)
    return groups


def per_day(
    facts: Iterable[ChatFacts], days: list[date], *, tz: tzinfo | None = None
) -> dict[date, Totals]:
    """Totals for each of ``days`` (in that order, empty days included); chats
    created on other days are left out."""
    wanted = set(days)
    groups = _grouped(facts, lambda f: d if (d := local_day(f.created, tz)) in wanted else None)
    return {day: totals(groups.get(day, ())) for day in days}


def per_hour(facts: Iterable[ChatFacts], *, tz: tzinfo | None = None) -> list[int]:
    """How many chats were created in each hour of the day, 0 to 23."""
    counts = [0] * 24
    for f in facts:
        counts[local_hour(f.created, tz)] += 1
    return counts


def per_agent(facts: Iterable[ChatFacts]) -> dict[str, Totals]:
    """Totals per assigned agent, by JID; chats nobody was assigned are left out
    (they count in ``totals``, and as missed if they closed unanswered)."""
    groups = _grouped(facts, lambda f: f.assigned)
    return {jid: totals(groups[jid]) for jid in sorted(groups)}


def per_team(facts: Iterable[ChatFacts]) -> dict[str, Totals]:
    groups = _grouped(facts, lambda f: f.team)
    return {team: totals(groups[team]) for team in sorted(groups)}


def ratings(facts: Iterable[ChatFacts]) -> Ratings:
    counts = [0] * 5
    for f in facts:
        if f.score is not None and 1 <= f.score <= 5:
            counts[f.score - 1] += 1
    count = sum(counts)
    if not count:
        return NO_RATINGS
    total = sum(score * n for score, n in enumerate(counts, start=1))
    a, b, c, d, e = counts
    return Ratings(count, total / count, (a, b, c, d, e))


def ratings_per_agent(facts: Iterable[ChatFacts]) -> dict[str, Ratings]:
    """Ratings per assigned agent (the chat's last), for agents with at least one."""
    groups = _grouped(facts, lambda f: f.assigned if f.score is not None else None)
    return {jid: ratings(groups[jid]) for jid in sorted(groups)}


def missed(facts: Iterable[ChatFacts]) -> list[ChatFacts]:
    """Chats closed without an answer, oldest first: the ones to call back."""
    return sorted((f for f in facts if f.is_missed), key=lambda f: (f.created, f.id))


def supervision(entries: Iterable[Audited]) -> dict[str, dict[str, int]]:
    """How many times each staff member did each audited act (joined hidden,
    whispered, took over…), actors and actions in alphabetical order."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for e in entries:
        counts[e.actor][e.action] += 1
    return {
        actor: {action: n for action, n in sorted(counts[actor].items())}
        for actor in sorted(counts)
    }
