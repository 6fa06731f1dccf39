"""Coaching numbers from the audit log's verdicts."""

from __future__ import annotations

from dataclasses import dataclass

from roles.coaching_stats import parse_detail, per_agent


@dataclass(frozen=True)
class Entry:
    action: str
    detail: str


def test_verdicts_are_counted_per_agent_with_the_time_they_waited():
    entries = [
        Entry("draft approved", "agent=jennie@x draft=1 waited=10.0"),
        Entry("draft edited", "agent=jennie@x draft=2 waited=30.0 text=Hello = there"),
        Entry("draft rejected", "agent=josh@x draft=1 waited=5.5 text=too blunt"),
        Entry("draft sent unreviewed", "agent=jennie@x draft=3 waited=60.0"),
        Entry("whisper", "agent=jennie@x"),  # not a verdict
        Entry("draft approved", "draft=9 waited=1"),  # no agent: not counted
    ]
    stats = per_agent(entries)
    assert set(stats) == {"jennie@x", "josh@x"}
    jennie = stats["jennie@x"]
    assert (jennie.drafts, jennie.approved, jennie.edited, jennie.rejected, jennie.unreviewed) == (
        3,
        1,
        1,
        0,
        1,
    )
    assert jennie.time_to_verdict.median == 30.0
    assert stats["josh@x"].rejected == 1 and stats["josh@x"].time_to_verdict.p90 == 5.5


def test_the_text_of_an_edit_runs_to_the_end_of_the_detail():
    fields = parse_detail("agent=a@x draft=2 waited=1.5 text=We sent it, agent=b tomorrow")
    assert fields == {
        "agent": "a@x",
        "draft": "2",
        "waited": "1.5",
        "text": "We sent it, agent=b tomorrow",
    }
    assert per_agent([]) == {}
