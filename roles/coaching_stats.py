"""Coaching in numbers, per coached agent, from the audit log's verdicts: drafts
decided, how many were approved, edited, rejected or sent unreviewed, and how
long drafts waited for a verdict (``huddle report``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from roles.reports import Times, times

VERDICTS = {
    "draft approved": "approved",
    "draft edited": "edited",
    "draft rejected": "rejected",
    "draft sent unreviewed": "unreviewed",
}


class AuditedVerdict(Protocol):
    @property
    def action(self) -> str: ...

    @property
    def detail(self) -> str: ...


@dataclass(frozen=True, slots=True)
class CoachingTotals:
    drafts: int
    approved: int
    edited: int
    rejected: int
    unreviewed: int
    time_to_verdict: Times


def parse_detail(detail: str) -> dict[str, str]:
    """``agent=… draft=… waited=… [text=…]`` as the coaching module writes it;
    ``text`` runs to the end, the rest are single words."""
    fields: dict[str, str] = {}
    head, _, text = detail.partition(" text=")
    for word in head.split():
        key, sep, value = word.partition("=")
        if sep:
            fields[key] = value
    if text:
        fields["text"] = text
    return fields


def per_agent(entries: Iterable[AuditedVerdict]) -> dict[str, CoachingTotals]:
    counts: dict[str, dict[str, int]] = {}
    waits: dict[str, list[float]] = {}
    for entry in entries:
        kind = VERDICTS.get(entry.action)
        if kind is None:
            continue
        fields = parse_detail(entry.detail)
        agent = fields.get("agent")
        if not agent:
            continue
        counts.setdefault(agent, dict.fromkeys(VERDICTS.values(), 0))[kind] += 1
        with contextlib.suppress(ValueError):
            waits.setdefault(agent, []).append(float(fields.get("waited", "")))
    return {
        agent: CoachingTotals(
            sum(c.values()),
            c["approved"],
            c["edited"],
            c["rejected"],
            c["unreviewed"],
            times(waits.get(agent, [])),
        )
        for agent, c in sorted(counts.items())
    }
