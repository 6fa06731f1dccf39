"""Chat statistics (pure): percentiles, answered and missed, grouping by day, hour,
agent and team, supervision counts."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from roles.reports import (
    EMPTY,
    NO_RATINGS,
    ChatFacts,
    Ratings,
    Times,
    missed,
    per_agent,
    per_day,
    per_hour,
    per_team,
    percentile,
    ratings,
    ratings_per_agent,
    supervision,
    times,
    totals,
)

PLUS_TWO = timezone(timedelta(hours=2))


def at(day: int, hour: int, minute: int = 0, tz: timezone = UTC) -> float:
    return datetime(2026, 11, day, hour, minute, tzinfo=tz).timestamp()


def chat(n, created, team="support", **times):
    return ChatFacts(f"chat-{n:016d}", team, created, **times)


# --- percentile --------------------------------------------------------------------


def test_percentile_of_nothing_is_none_and_of_one_value_is_that_value():
    assert percentile([], 50) is None
    assert percentile([], 90) is None
    assert percentile([7.0], 0) == 7.0
    assert percentile([7.0], 50) == 7.0
    assert percentile([7.0], 100) == 7.0


def test_percentile_interpolates_between_the_nearest_ranks():
    # Median of an even count: the mean of the middle two, as statistics.median.
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0], 50) == 2.0
    # p90 of 1..10: rank 0.9 * 9 = 8.1, between 9 and 10.
    assert percentile([float(v) for v in range(10, 0, -1)], 90) == pytest.approx(9.1)
    assert percentile([10.0, 20.0], 90) == pytest.approx(19.0)
    assert percentile([5.0, 1.0, 9.0], 0) == 1.0
    assert percentile([5.0, 1.0, 9.0], 100) == 9.0


def test_percentile_refuses_q_outside_0_to_100():
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)
    with pytest.raises(ValueError):
        percentile([1.0], -1)


def test_times_agrees_with_percentile_and_is_none_for_no_values():
    values = [30.0, 10.0, 20.0, 50.0, 40.0]
    assert times(values) == Times(percentile(values, 50), percentile(values, 90))
    assert times(values) == Times(30.0, pytest.approx(46.0))
    assert times([]) == Times(None, None)


# --- totals ----------------------------------------------------------------------


def test_answered_missed_and_open_chats_are_told_apart():
    facts = [
        # Answered after 30 s, agent after 10 s, closed after 10 min.
        chat(1, 1000.0, assigned="a@x", assigned_at=1010.0, answered=1030.0, closed=1600.0),
        # Closed, nobody ever answered: missed.
        chat(2, 2000.0, closed=2300.0, close_reason="visitor left"),
        # Assigned but not answered yet, still open: neither answered nor missed.
        chat(3, 3000.0, assigned="a@x", assigned_at=3060.0),
        # Still waiting.
        chat(4, 4000.0),
    ]
    t = totals(facts)
    assert (t.chats, t.answered, t.missed) == (4, 1, 1)
    assert t.first_response == Times(30.0, 30.0)
    # Waits of the two assigned chats, 10 s and 60 s.
    assert t.wait.median == 35.0
    assert t.wait.p90 == pytest.approx(55.0)
    # Durations of the two closed chats: 600 s and 300 s.
    assert t.duration.median == 450.0
    assert [f.id for f in missed(facts)] == [facts[1].id]


def test_a_chat_answered_then_closed_is_not_missed():
    facts = [chat(1, 0.0, answered=5.0, closed=10.0)]
    assert (totals(facts).answered, totals(facts).missed) == (1, 0)
    assert missed(facts) == []


def test_empty_input_gives_zero_counts_and_no_times():
    assert totals([]) == EMPTY
    assert EMPTY.chats == EMPTY.answered == EMPTY.missed == 0
    assert EMPTY.first_response == EMPTY.wait == EMPTY.duration == Times(None, None)
    assert per_hour([]) == [0] * 24
    assert per_agent([]) == {}
    assert per_team([]) == {}
    assert missed([]) == []
    assert supervision([]) == {}
    assert ratings([]) == NO_RATINGS
    assert ratings_per_agent([]) == {}
    day = date(2026, 11, 1)
    assert per_day([], [day]) == {day: EMPTY}


def test_totals_accepts_a_generator_once():
    t = totals(chat(n, float(n), answered=n + 2.0) for n in range(3))
    assert (t.chats, t.first_response.median) == (3, 2.0)


# --- days and hours ------------------------------------------------------------------


def test_days_split_at_local_midnight_not_utc():
    # 23:59 and 00:01 local (UTC+2) are two days, though both are 1 November in UTC.
    before = at(1, 23, 59, PLUS_TWO)
    after = at(2, 0, 1, PLUS_TWO)
    facts = [chat(1, before, answered=before + 60), chat(2, after)]
    days = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    by_day = per_day(facts, days, tz=PLUS_TWO)
    assert list(by_day) == days
    assert [by_day[d].chats for d in days] == [1, 1, 0]
    assert by_day[days[0]].first_response.median == 60.0
    assert by_day[days[2]] == EMPTY
    in_utc = per_day(facts, days, tz=UTC)
    assert [in_utc[d].chats for d in days] == [2, 0, 0]


def test_days_outside_the_list_are_left_out():
    facts = [chat(1, at(1, 12)), chat(2, at(5, 12))]
    only = date(2026, 11, 5)
    assert per_day(facts, [only], tz=UTC) == {only: totals([facts[1]])}


def test_per_hour_counts_chats_by_local_hour():
    facts = [chat(1, at(1, 9, 5)), chat(2, at(1, 9, 55)), chat(3, at(2, 23, 30))]
    counts = per_hour(facts, tz=UTC)
    assert len(counts) == 24
    assert (counts[9], counts[23], sum(counts)) == (2, 1, 3)
    # The same chats in UTC+2: 11:00 and 01:00.
    shifted = per_hour(facts, tz=PLUS_TWO)
    assert (shifted[11], shifted[1], shifted[9]) == (2, 1, 0)


@pytest.fixture
def tokyo_time(monkeypatch):
    """The machine's local time set to UTC+9 (a POSIX TZ needs no tzdata)."""
    monkeypatch.setenv("TZ", "JST-9")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_without_tz_days_and_hours_are_the_machines_local_time(tokyo_time):
    late = at(1, 16, 30)  # 01:30 on 2 November in Tokyo
    assert per_hour([chat(1, late)])[1] == 1
    days = [date(2026, 11, 1), date(2026, 11, 2)]
    assert [t.chats for t in per_day([chat(1, late)], days).values()] == [0, 1]


# --- agents and teams ------------------------------------------------------------------


def test_per_agent_groups_by_assigned_jid_and_leaves_unassigned_out():
    facts = [
        chat(1, 0.0, assigned="b@x", assigned_at=4.0, answered=5.0),
        chat(2, 10.0, assigned="a@x", assigned_at=20.0, answered=30.0, closed=100.0),
        chat(3, 20.0, assigned="a@x", assigned_at=22.0),
        chat(4, 30.0, closed=40.0),  # nobody: missed, in totals only
    ]
    agents = per_agent(facts)
    assert list(agents) == ["a@x", "b@x"]
    assert (agents["a@x"].chats, agents["a@x"].answered) == (2, 1)
    assert agents["a@x"].wait == Times(6.0, pytest.approx(9.2))  # waits 10 s and 2 s
    assert agents["b@x"].first_response == Times(5.0, 5.0)
    assert sum(t.chats for t in agents.values()) == 3
    assert totals(facts).missed == 1


def test_per_team_groups_every_chat_by_team():
    facts = [
        chat(1, 0.0, team="support", closed=5.0),
        chat(2, 0.0, team="accounts", answered=1.0),
        chat(3, 0.0, team="support", answered=3.0),
    ]
    teams = per_team(facts)
    assert list(teams) == ["accounts", "support"]
    assert (teams["support"].chats, teams["support"].missed) == (2, 1)
    assert teams["accounts"].first_response.median == 1.0


# --- supervision ----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    actor: str
    action: str


def test_supervision_counts_each_actors_actions():
    entries = [
        Entry("john@x", "joined hidden"),
        Entry("john@x", "whisper"),
        Entry("john@x", "whisper"),
        Entry("amy@x", "take"),
        Entry("john@x", "joined hidden"),
        Entry("john@x", "revealed"),
    ]
    counts = supervision(entries)
    assert counts == {
        "amy@x": {"take": 1},
        "john@x": {"joined hidden": 2, "revealed": 1, "whisper": 2},
    }
    assert list(counts) == ["amy@x", "john@x"]
    assert list(counts["john@x"]) == ["joined hidden", "revealed", "whisper"]


# --- ratings --------------------------------------------------------------------------


def test_ratings_count_average_and_distribution_in_all_and_per_agent():
    facts = [
        chat(1, 0.0, assigned="a@x", answered=5.0, closed=60.0, score=5),
        chat(2, 10.0, assigned="a@x", answered=15.0, closed=90.0, score=4),
        chat(3, 20.0, assigned="b@x", answered=25.0, closed=80.0, score=1),
        chat(4, 30.0, assigned="b@x", answered=35.0, closed=70.0),  # not rated
        chat(5, 40.0, closed=50.0, score=2),  # nobody answered: rated all the same
    ]
    everyone = ratings(facts)
    assert everyone == Ratings(4, 3.0, (1, 1, 0, 1, 1))
    agents = ratings_per_agent(facts)
    assert list(agents) == ["a@x", "b@x"]
    assert agents["a@x"] == Ratings(2, 4.5, (0, 0, 0, 1, 1))
    # b@x has one rated chat of two: the unrated one counts nowhere.
    assert agents["b@x"] == Ratings(1, 1.0, (1, 0, 0, 0, 0))
    # Ratings change nothing else a report counts.
    assert totals(facts) == totals([replace(f, score=None) for f in facts])


def test_ratings_ignore_scores_outside_1_to_5():
    assert ratings([chat(1, 0.0, score=0), chat(2, 0.0, score=6)]) == NO_RATINGS
