"""A report of a span of days, and its three forms: text for people, CSV for
spreadsheets, JSON for programs (``huddle report --format``).

Times are local (the machine's zone, or ``TZ``); durations are m:ss or h:mm:ss in
text, seconds rounded to a tenth in CSV and JSON, where "no value" is empty or null,
never 0, so a day without answers does not look instantly answered.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from roles import coaching_stats, reports
from roles.coaching_stats import CoachingTotals
from roles.reports import ChatFacts, Totals
from storage.audit import AuditEntry


@dataclass(frozen=True, slots=True)
class Report:
    since: date
    until: date  # the last day included
    timezone: str
    names: dict[str, str]  # bare JID -> display name
    totals: Totals
    per_day: dict[date, Totals]
    per_hour: list[int]
    per_agent: dict[str, Totals]
    per_team: dict[str, Totals]
    missed: list[ChatFacts]
    supervision: dict[str, dict[str, int]]
    ratings: reports.Ratings = reports.NO_RATINGS
    ratings_per_agent: dict[str, reports.Ratings] = field(default_factory=dict)
    coaching: dict[str, CoachingTotals] = field(default_factory=dict)  # by coached agent

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def label(self, jid: str) -> str:
        name = self.names.get(jid)
        return f"{name} <{jid}>" if name else jid


def build_report(
    since: date,
    until: date,
    facts: Sequence[ChatFacts],
    entries: Iterable[AuditEntry],
    names: dict[str, str],
) -> Report:
    entries = list(entries)
    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    return Report(
        since=since,
        until=until,
        timezone=datetime.now().astimezone().tzname() or "local time",
        names=names,
        totals=reports.totals(facts),
        per_day=reports.per_day(facts, days),
        per_hour=reports.per_hour(facts),
        # Busiest first: the order a team lead reads them in.
        per_agent=dict(sorted(reports.per_agent(facts).items(), key=lambda kv: -kv[1].chats)),
        per_team=reports.per_team(facts),
        missed=reports.missed(facts),
        supervision=reports.supervision(entries),
        ratings=reports.ratings(facts),
        ratings_per_agent=reports.ratings_per_agent(facts),
        coaching=coaching_stats.per_agent(entries),
    )


# --- text --------------------------------------------------------------------


def clock(seconds: float | None) -> str:
    """m:ss, or h:mm:ss from an hour: the desk's ``!stats`` style, longer."""
    if seconds is None:
        return "-"
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    if hours:
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{rest // 60}:{rest % 60:02d}"


def local_time(stamp: float) -> str:
    return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")


def _table(heading: str, rows: dict[str, Totals]) -> list[str]:
    """Counts, then median and p90 of each measure, one row per key."""
    if not rows:
        return ["  (none)"]
    width = max(len(heading), *(len(k) for k in rows))
    pair = "  {:>8} {:>8}"
    measures = "".join(f"  {name:^17}" for name in ("first response", "wait", "duration"))
    lines = [
        f"  {heading:<{width}} {'chats':>6} {'answered':>8} {'missed':>6}{measures}",
        f"  {'':<{width}} {'':>6} {'':>8} {'':>6}" + pair.format("median", "p90") * 3,
    ]
    for key, t in rows.items():
        lines.append(
            f"  {key:<{width}} {t.chats:>6} {t.answered:>8} {t.missed:>6}"
            + "".join(
                pair.format(clock(m.median), clock(m.p90))
                for m in (t.first_response, t.wait, t.duration)
            )
        )
    return [line.rstrip() for line in lines]


def _ratings_table(report: Report) -> list[str]:
    if not report.ratings.count:
        return ["  (none)"]
    rows = {"total": report.ratings}
    rows.update({report.label(j): r for j, r in report.ratings_per_agent.items()})
    width = max(len(k) for k in rows)
    scores = "".join(f" {score:>5}" for score in range(1, 6))
    lines = [f"  {'':<{width}} {'rated':>6} {'average':>7}{scores}"]
    for key, r in rows.items():
        counts = "".join(f" {n:>5}" for n in r.distribution)
        lines.append(f"  {key:<{width}} {r.count:>6} {_average(r.average):>7}{counts}")
    return lines


def _average(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def text(report: Report) -> str:
    t = report.totals
    unsettled = t.chats - t.answered - t.missed
    lines = [
        f"Huddle report: {report.since} to {report.until} "
        f"({report.days} day{'s' if report.days != 1 else ''}, times in {report.timezone})",
        "",
        f"{t.chats} chats: {t.answered} answered, {t.missed} missed"
        + (f", {unsettled} still waiting or open without an answer" if unsettled else ""),
        *_table("", {"total": t}),
        "",
        "Per day",
        *_table("day", {str(d): v for d, v in report.per_day.items()}),
        "",
        "Chats by hour of day (created)",
    ]
    most = max(report.per_hour)
    for hour, n in enumerate(report.per_hour):
        bar = "#" * (round(40 * n / most) if most else 0)
        lines.append(f"  {hour:02d}:00 {n:>5}  {bar}".rstrip())
    lines += ["", "Per agent (the chat's last agent)"]
    lines += _table("agent", {report.label(j): v for j, v in report.per_agent.items()})
    lines += ["", "Per team", *_table("team", report.per_team), "", "Missed chats"]
    for f in report.missed:
        assert f.closed is not None
        reason = f"  ({f.close_reason})" if f.close_reason else ""
        lines.append(
            f"  {local_time(f.created)}  {f.id}  team {f.team}  "
            f"closed after {clock(f.closed - f.created)}{reason}"
        )
    if not report.missed:
        lines.append("  (none)")
    lines += ["", "Ratings by visitors (1 to 5; per agent: the chat's last agent)"]
    lines += _ratings_table(report)
    lines += ["", "Coaching (drafts of coached agents, by verdict; time to the verdict)"]
    for jid, c in report.coaching.items():
        lines.append(
            f"  {report.label(jid)}: {c.drafts} drafts: {c.approved} approved, "
            f"{c.edited} edited, {c.rejected} rejected, {c.unreviewed} sent unreviewed; "
            f"median {clock(c.time_to_verdict.median)}, p90 {clock(c.time_to_verdict.p90)}"
        )
    if not report.coaching:
        lines.append("  (none)")
    lines += ["", "Supervision activity (audit log)"]
    for actor, actions in report.supervision.items():
        done = ", ".join(f"{action} {n}" for action, n in actions.items())
        lines.append(f"  {report.label(actor)}: {done}")
    if not report.supervision:
        lines.append("  (none)")
    return "\n".join(lines)


# --- json and csv --------------------------------------------------------------


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def totals_data(t: Totals) -> dict[str, Any]:
    data = asdict(t)
    for measure in ("first_response", "wait", "duration"):
        data[measure] = {k: _seconds(v) for k, v in data[measure].items()}
    return data


def ratings_data(r: reports.Ratings) -> dict[str, Any]:
    return {
        "count": r.count,
        "average": None if r.average is None else round(r.average, 2),
        "distribution": {str(score): n for score, n in enumerate(r.distribution, start=1)},
    }


def coaching_data(c: CoachingTotals) -> dict[str, Any]:
    return {
        "drafts": c.drafts,
        "approved": c.approved,
        "edited": c.edited,
        "rejected": c.rejected,
        "unreviewed": c.unreviewed,
        "time_to_verdict": {
            "median": _seconds(c.time_to_verdict.median),
            "p90": _seconds(c.time_to_verdict.p90),
        },
    }


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp).astimezone().isoformat(timespec="seconds")


def json_data(report: Report) -> dict[str, Any]:
    return {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "timezone": report.timezone,
        "totals": totals_data(report.totals),
        "per_day": {d.isoformat(): totals_data(v) for d, v in report.per_day.items()},
        "per_hour": report.per_hour,
        "per_agent": {
            jid: {"name": report.names.get(jid), **totals_data(v)}
            for jid, v in report.per_agent.items()
        },
        "per_team": {team: totals_data(v) for team, v in report.per_team.items()},
        "missed": [
            {
                "id": f.id,
                "team": f.team,
                "created": _iso(f.created),
                "closed": _iso(f.closed),
                "close_reason": f.close_reason,
            }
            for f in report.missed
        ],
        "supervision": {
            actor: {"name": report.names.get(actor), "actions": actions}
            for actor, actions in report.supervision.items()
        },
        "coaching": {
            jid: {"name": report.names.get(jid), **coaching_data(c)}
            for jid, c in report.coaching.items()
        },
        "ratings": {
            **ratings_data(report.ratings),
            "per_agent": {
                jid: {"name": report.names.get(jid), **ratings_data(r)}
                for jid, r in report.ratings_per_agent.items()
            },
        },
    }


CSV_COLUMNS = (
    "section",  # totals, day, hour, agent, team, missed, supervision, ratings, coaching
    # all; the date; the hour 00-23; the JID; the team; the chat id; the actor's JID;
    # for ratings, all or the agent's JID
    "key",
    "name",
    "chats",
    "answered",
    "missed",
    "first_response_median",
    "first_response_p90",
    "wait_median",
    "wait_p90",
    "duration_median",
    "duration_p90",
    "team",
    "created",
    "closed",
    "close_reason",
    "action",
    "count",  # of an action; of ratings
    "average",
    "score_1",
    "score_2",
    "score_3",
    "score_4",
    "score_5",
    "drafts",  # coaching: a coached agent's drafts, by verdict
    "approved",
    "edited",
    "rejected",
    "unreviewed",
    "verdict_median",
    "verdict_p90",
)


def _totals_row(section: str, key: str, t: Totals, name: str = "") -> dict[str, Any]:
    row: dict[str, Any] = {"section": section, "key": key, "name": name}
    row.update(chats=t.chats, answered=t.answered, missed=t.missed)
    for measure in ("first_response", "wait", "duration"):
        m = getattr(t, measure)
        row[f"{measure}_median"] = _seconds(m.median)
        row[f"{measure}_p90"] = _seconds(m.p90)
    return row


def _ratings_row(key: str, r: reports.Ratings, name: str = "") -> dict[str, Any]:
    data = ratings_data(r)
    row: dict[str, Any] = {"section": "ratings", "key": key, "name": name}
    row.update(count=r.count, average=data["average"])
    row.update({f"score_{score}": n for score, n in data["distribution"].items()})
    return row


def csv_text(report: Report) -> str:
    """One table, a ``section`` column saying what each row is, so a spreadsheet
    filters it; times in seconds, empty where there is no value."""
    rows = [_totals_row("totals", "all", report.totals)]
    rows += [_totals_row("day", d.isoformat(), v) for d, v in report.per_day.items()]
    rows += [
        {"section": "hour", "key": f"{h:02d}", "chats": n} for h, n in enumerate(report.per_hour)
    ]
    rows += [
        _totals_row("agent", jid, v, report.names.get(jid, ""))
        for jid, v in report.per_agent.items()
    ]
    rows += [_totals_row("team", team, v) for team, v in report.per_team.items()]
    rows += [
        {
            "section": "missed",
            "key": f.id,
            "team": f.team,
            "created": _iso(f.created),
            "closed": _iso(f.closed),
            "close_reason": f.close_reason,
        }
        for f in report.missed
    ]
    rows += [
        {
            "section": "supervision",
            "key": actor,
            "name": report.names.get(actor, ""),
            "action": action,
            "count": n,
        }
        for actor, actions in report.supervision.items()
        for action, n in actions.items()
    ]
    rows += [
        {
            "section": "coaching",
            "key": jid,
            "name": report.names.get(jid, ""),
            **{k: v for k, v in coaching_data(c).items() if k != "time_to_verdict"},
            "verdict_median": _seconds(c.time_to_verdict.median),
            "verdict_p90": _seconds(c.time_to_verdict.p90),
        }
        for jid, c in report.coaching.items()
    ]
    rows += [_ratings_row("all", report.ratings)]
    rows += [
        _ratings_row(jid, r, report.names.get(jid, ""))
        for jid, r in report.ratings_per_agent.items()
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
