"""``huddle report`` on a real SQLite file filled through the storage layer: text,
CSV and JSON, the window's edges, and bad arguments refused with status 2."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from datetime import date, datetime

import pytest

from component.cli import main
from storage import audit
from storage.chats import ChatRow, ChatStore
from storage.database import open_database
from storage.ratings import Rating, Ratings
from storage.staff import StaffDirectory, StaffMember

JENNIE = "jennie@example.org"
JOSH = "josh@example.org"
JOHN = "john@example.org"
ADMIN = "admin@example.org"
GONE = "old@example.org"  # an agent since removed from the directory


def at(day: int, hour: int, minute: int = 0) -> float:
    """A local time in November 2026, as the report's days are local."""
    return datetime(2026, 11, day, hour, minute).timestamp()


def cid(n: int) -> str:
    return f"chat-{n:016d}"


C1, C2, C3, C4, C5 = at(2, 9), at(2, 23, 50), at(3, 10), at(3, 11), at(4, 8)
CHATS = [
    # Before the window (1 November, a minute before midnight).
    ChatRow(cid(0), "support", "closed", at(1, 23, 59), closed=at(2, 0, 5)),
    # Answered after 45 s; an agent after 20 s; 12 minutes long.
    ChatRow(
        cid(1),
        "support",
        "closed",
        C1,
        assigned=JENNIE,
        assigned_at=C1 + 20,
        answered=C1 + 45,
        closed=C1 + 720,
        close_reason="resolved",
    ),
    # Created ten minutes before midnight, closed the next day: a chat of 2 November.
    ChatRow(
        cid(2),
        "accounts",
        "closed",
        C2,
        assigned=JOSH,
        assigned_at=C2 + 60,
        answered=C2 + 90,
        closed=C2 + 1800,
    ),
    # Nobody answered before the visitor left: missed.
    ChatRow(cid(3), "support", "closed", C3, closed=C3 + 300, close_reason="visitor left"),
    # Open, an agent but no answer yet: neither answered nor missed.
    ChatRow(cid(4), "support", "active", C4, assigned=GONE, assigned_at=C4 + 120),
    # After the window.
    ChatRow(cid(5), "support", "waiting", C5),
]
AUDIT = [
    (C1 + 100, cid(1), JOHN, "joined hidden", ""),
    (C1 + 110, cid(1), JOHN, "whisper", "check the refund"),
    (C1 + 120, cid(1), JOHN, "whisper", "and the date"),
    (C1 + 130, cid(1), JOHN, "revealed", "by speaking"),
    (C2 + 200, cid(2), ADMIN, "take", ""),
    (C5 + 10, cid(5), JOHN, "joined hidden", ""),  # after the window
]
RATINGS = [
    Rating(cid(0), at(2, 0, 10), 1),  # a chat before the window: not counted
    Rating(cid(1), C1 + 800, 5, "Quick and kind"),
    Rating(cid(2), C2 + 1900, 4),
    Rating(cid(3), C3 + 400, 1, "Nobody came"),  # missed, no agent: in the total only
]
WINDOW = ["--since", "2026-11-02", "--until", "2026-11-03"]


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    """Local time pinned to UTC, so the header's zone is known."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def fill(path, chats=CHATS, entries=AUDIT, ratings=RATINGS):
    async with await open_database(path) as db:
        staff = StaffDirectory(db)
        await staff.add(StaffMember(JENNIE, "agent", "support", "Jennie"))
        await staff.add(StaffMember(JOSH, "agent", "accounts", "Josh"))
        await staff.add(StaffMember(JOHN, "supervisor", "accounts", "John"))
        store = ChatStore(db)
        for row in chats:
            await store.save(row)
        async with db.transaction() as conn:
            await conn.executemany(audit.INSERT, entries)
        for rating in ratings:
            assert await Ratings(db).add(rating)


@pytest.fixture
async def database(tmp_path):
    path = tmp_path / "huddle.sqlite"
    await fill(path)
    return path


def exit_status(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's errors
        return int(exc.code or 0)


async def huddle(capsys, *args: str) -> tuple[int, str, str]:
    # main runs its own event loop, so it runs on a thread of its own.
    code = await asyncio.to_thread(exit_status, ["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def section(out: str, title: str) -> list[str]:
    """The lines of the text report's section that starts with ``title``."""
    (block,) = [b for b in out.split("\n\n") if b.startswith(title)]
    return block.splitlines()[1:]


def row_of(lines: list[str], label: str) -> list[str]:
    (line,) = [line for line in lines if line.startswith(f"  {label} ")]
    return line[len(label) + 2 :].split()


async def test_text_report_totals_days_agents_missed_and_supervision(database, capsys):
    code, out, err = await huddle(capsys, "--database", str(database), *WINDOW)
    assert code == 0, err
    assert out.startswith("Huddle report: 2026-11-02 to 2026-11-03 (2 days, times in UTC)")
    assert "4 chats: 2 answered, 1 missed, 1 still waiting or open without an answer" in out
    # chats, answered, missed, then median and p90 of first response, wait, duration:
    # first responses 45 s and 90 s; waits 20, 60, 120 s; durations 12, 30 and 5 min.
    total = ["4", "2", "1", "1:08", "1:26", "1:00", "1:48", "12:00", "26:24"]
    assert row_of(section(out, "4 chats"), "total") == total
    days = section(out, "Per day")
    assert row_of(days, "2026-11-02")[:3] == ["2", "2", "0"]
    assert row_of(days, "2026-11-03")[:3] == ["2", "0", "1"]
    hours = section(out, "Chats by hour of day")
    assert len(hours) == 24
    assert row_of(hours, "09:00") == ["1", "#" * 40]
    assert row_of(hours, "23:00")[0] == "1"
    assert row_of(hours, "08:00") == ["0"]  # chat 5 is after the window
    agents = section(out, "Per agent")
    assert row_of(agents, f"Jennie <{JENNIE}>")[:3] == ["1", "1", "0"]
    assert row_of(agents, GONE)[:3] == ["1", "0", "0"]
    teams = section(out, "Per team")
    assert row_of(teams, "accounts")[:3] == ["1", "1", "0"]
    assert row_of(teams, "support")[:3] == ["3", "1", "1"]
    (missed,) = section(out, "Missed chats")
    assert cid(3) in missed and "2026-11-03 10:00" in missed
    assert "team support" in missed and "closed after 5:00" in missed
    assert missed.endswith("(visitor left)")
    assert section(out, "Ratings by visitors")[1:] == [
        "  total                            3    3.33     1     0     0     1     1",
        f"  Jennie <{JENNIE}>      1    5.00     0     0     0     0     1",
        f"  Josh <{JOSH}>          1    4.00     0     0     0     1     0",
    ]
    assert section(out, "Supervision activity") == [
        f"  {ADMIN}: take 1",
        f"  John <{JOHN}>: joined hidden 1, revealed 1, whisper 2",
    ]
    for outside in (cid(0), cid(5)):
        assert outside not in out


async def test_csv_is_one_table_with_a_section_column(database, capsys):
    code, out, err = await huddle(capsys, "--database", str(database), *WINDOW, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    sections = [r["section"] for r in rows]
    assert sections[0] == "totals"
    assert sections.count("day") == 2 and sections.count("hour") == 24
    (total,) = [r for r in rows if r["section"] == "totals"]
    assert (total["chats"], total["answered"], total["missed"]) == ("4", "2", "1")
    assert (total["first_response_median"], total["wait_p90"]) == ("67.5", "108.0")
    assert total["duration_median"] == "720.0"
    hours = {r["key"]: r["chats"] for r in rows if r["section"] == "hour"}
    assert (hours["09"], hours["23"], hours["10"], hours["08"]) == ("1", "1", "1", "0")
    agents = {r["key"]: r for r in rows if r["section"] == "agent"}
    assert set(agents) == {JENNIE, JOSH, GONE}
    assert (agents[JOSH]["name"], agents[GONE]["name"]) == ("Josh", "")
    assert agents[GONE]["first_response_median"] == ""  # no value, not zero
    (missed,) = [r for r in rows if r["section"] == "missed"]
    assert (missed["key"], missed["team"], missed["close_reason"]) == (
        cid(3),
        "support",
        "visitor left",
    )
    assert missed["created"] == "2026-11-03T10:00:00+00:00"
    supervision = {
        (r["key"], r["action"]): r["count"] for r in rows if r["section"] == "supervision"
    }
    assert supervision == {
        (JOHN, "joined hidden"): "1",
        (JOHN, "revealed"): "1",
        (JOHN, "whisper"): "2",
        (ADMIN, "take"): "1",
    }
    ratings = {r["key"]: r for r in rows if r["section"] == "ratings"}
    assert set(ratings) == {"all", JENNIE, JOSH}
    everyone = ratings["all"]
    assert (everyone["count"], everyone["average"]) == ("3", "3.33")
    assert [everyone[f"score_{n}"] for n in range(1, 6)] == ["1", "0", "0", "1", "1"]
    assert (ratings[JOSH]["name"], ratings[JOSH]["average"], ratings[JOSH]["score_4"]) == (
        "Josh",
        "4.0",
        "1",
    )


async def test_json_is_one_object(database, capsys):
    code, out, err = await huddle(capsys, "--database", str(database), *WINDOW, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["since"], data["until"], data["timezone"]) == ("2026-11-02", "2026-11-03", "UTC")
    assert data["totals"] == {
        "chats": 4,
        "answered": 2,
        "missed": 1,
        "first_response": {"median": 67.5, "p90": 85.5},
        "wait": {"median": 60.0, "p90": 108.0},
        "duration": {"median": 720.0, "p90": 1584.0},
    }
    assert list(data["per_day"]) == ["2026-11-02", "2026-11-03"]
    assert data["per_day"]["2026-11-02"]["duration"]["median"] == 1260.0
    assert len(data["per_hour"]) == 24 and sum(data["per_hour"]) == 4
    assert data["per_agent"][JENNIE]["name"] == "Jennie"
    assert data["per_agent"][GONE]["name"] is None
    assert data["per_team"]["support"]["missed"] == 1
    assert [m["id"] for m in data["missed"]] == [cid(3)]
    assert data["supervision"][JOHN] == {
        "name": "John",
        "actions": {"joined hidden": 1, "revealed": 1, "whisper": 2},
    }
    assert data["supervision"][ADMIN]["name"] is None
    assert data["ratings"] == {
        "count": 3,
        "average": 3.33,
        "distribution": {"1": 1, "2": 0, "3": 0, "4": 1, "5": 1},
        "per_agent": {
            JENNIE: {
                "name": "Jennie",
                "count": 1,
                "average": 5.0,
                "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1},
            },
            JOSH: {
                "name": "Josh",
                "count": 1,
                "average": 4.0,
                "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
            },
        },
    }


async def test_default_window_is_the_last_seven_days_with_today(tmp_path, capsys):
    now = time.time()
    today = date.today()
    week_ago = datetime.combine(date.fromordinal(today.toordinal() - 6), datetime.min.time())
    rows = [
        ChatRow(cid(1), "support", "waiting", now),
        ChatRow(cid(2), "support", "waiting", week_ago.timestamp() + 60),  # first day
        ChatRow(cid(3), "support", "waiting", week_ago.timestamp() - 60),  # the day before
    ]
    path = tmp_path / "huddle.sqlite"
    await fill(path, rows, [], [])
    code, out, err = await huddle(capsys, "--database", str(path), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["since"], data["until"]) == (week_ago.date().isoformat(), today.isoformat())
    assert len(data["per_day"]) == 7
    assert data["totals"]["chats"] == 2
    code, out, err = await huddle(capsys, "--database", str(path), "--since", "today")
    assert code == 0, err
    assert f"{today} to {today} (1 day," in out
    assert "1 chats: 0 answered, 0 missed" in out


async def test_the_database_is_found_through_the_config_file(database, tmp_path, capsys):
    config = tmp_path / "huddle.toml"
    config.write_text(
        '[component]\njid = "support.example.org"\n'
        '[domains]\nstaff = ["example.org"]\nvisitors = ["guest.example.org"]\n'
        f'[storage]\npath = "{database.name}"\n'
    )
    code, out, err = await huddle(capsys, "--config", str(config), *WINDOW, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["totals"]["chats"] == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "argument --since: expected a date like 2026-11-01"),
        (["--until", "last week"], "got 'last week'"),
        (["--since", "99999999d"], "argument --since"),
        (["--since", "2026-11-05", "--until", "2026-11-01"], "--since 2026-11-05 is after"),
        (["--format", "xml"], "argument --format: invalid choice"),
    ],
)
async def test_bad_arguments_exit_with_status_2_and_say_why(database, capsys, args, message):
    code, out, err = await huddle(capsys, "--database", str(database), *args)
    assert code == 2
    assert message in err
    assert out == ""


async def test_a_missing_database_is_an_error_not_an_empty_report(tmp_path, capsys):
    missing = tmp_path / "typo.sqlite"
    code, out, err = await huddle(capsys, "--database", str(missing))
    assert (code, out) == (2, "")
    assert f"no database at {missing}" in err
    assert not missing.exists()


COACHING = [
    (C1 + 140, cid(1), JOHN, "draft approved", f"agent={JENNIE} draft=1 waited=12.0"),
    (C1 + 150, cid(1), JOHN, "draft edited", f"agent={JENNIE} draft=2 waited=30.0 text=Hi there"),
    (C1 + 160, cid(1), JOHN, "draft rejected", f"agent={JENNIE} draft=3 waited=4.0"),
    (C1 + 260, cid(1), "", "draft sent unreviewed", f"agent={JENNIE} draft=4 waited=60.0"),
]


async def test_coaching_counts_drafts_verdicts_and_time_to_verdict_per_agent(tmp_path, capsys):
    path = tmp_path / "huddle.sqlite"
    await fill(path, entries=[*AUDIT, *COACHING])
    base = ["--database", str(path), *WINDOW]
    code, out, err = await huddle(capsys, *base)
    assert code == 0, err
    assert section(out, "Coaching") == [
        f"  Jennie <{JENNIE}>: 4 drafts: 1 approved, 1 edited, 1 rejected, 1 sent unreviewed; "
        "median 0:21, p90 0:51"
    ]
    code, out, err = await huddle(capsys, *base, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["coaching"] == {
        JENNIE: {
            "name": "Jennie",
            "drafts": 4,
            "approved": 1,
            "edited": 1,
            "rejected": 1,
            "unreviewed": 1,
            "time_to_verdict": {"median": 21.0, "p90": 51.0},
        }
    }
    code, out, err = await huddle(capsys, *base, "--format", "csv")
    assert code == 0, err
    (row,) = [r for r in csv.DictReader(io.StringIO(out)) if r["section"] == "coaching"]
    assert (row["key"], row["drafts"], row["edited"], row["verdict_p90"]) == (
        JENNIE,
        "4",
        "1",
        "51.0",
    )
