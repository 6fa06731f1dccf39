"""``huddle report``: chats, answers, waiting and supervision over a span of days.

The numbers come from ``roles.reports`` (definitions there and in the README),
their text, CSV and JSON forms from ``component.report_formats``; this module
reads the arguments, finds the database and reads the window from it.

Days are local days of the machine running the command (set ``TZ`` to choose
another zone): ``--since 2026-11-01 --until 2026-11-07`` covers from the first
midnight to the midnight after the 7th, both dates included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from component import report_formats
from component.config import load_config
from storage.database import open_database
from storage.reports import audit_entries, chat_facts, staff_names

_DAYS_AGO = re.compile(r"^(\d{1,5})d$")
DEFAULT_SINCE = "6d"  # with --until today: the last 7 days, today included
FORMATS = ("text", "csv", "json")


def parse_day(text: str) -> date:
    """A day as the command line gives it: ``2026-11-01``, ``today``, ``yesterday``
    or ``Nd`` (N days before today)."""
    today = date.today()
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    ago = _DAYS_AGO.match(word)
    try:
        return today - timedelta(days=int(ago[1])) if ago else date.fromisoformat(word)
    except (ValueError, OverflowError):
        pass
    # argparse turns this into "huddle report: error: argument --since: …" and status 2.
    raise argparse.ArgumentTypeError(
        f"expected a date like 2026-11-01, today, yesterday or 7d (7 days ago), got {text!r}"
    )


def midnight(day: date) -> float:
    """The start of ``day`` in local time, as epoch seconds (mktime settles DST)."""
    return datetime.combine(day, time()).timestamp()


def _database(args: argparse.Namespace) -> Path:
    if args.database is not None:
        return Path(args.database)
    return load_config(args.config, need_secret=False).database


async def run_report(args: argparse.Namespace) -> int:
    since: date = args.since
    until: date = args.until
    if since > until:
        print(f"huddle report: error: --since {since} is after --until {until}", file=sys.stderr)
        return 2
    path = _database(args)
    if not path.exists():
        # Opening would create an empty database, and report nothing, quietly.
        print(f"huddle report: error: no database at {path}", file=sys.stderr)
        return 2
    start, end = midnight(since), midnight(until + timedelta(days=1))
    async with await open_database(path) as db:
        facts = await chat_facts(db, start, end)
        entries = await audit_entries(db, start, end)
        names = await staff_names(db)
    report = report_formats.build_report(since, until, facts, entries, names)
    if args.format == "json":
        print(json.dumps(report_formats.json_data(report), indent=2, ensure_ascii=False))
    elif args.format == "csv":
        sys.stdout.write(report_formats.csv_text(report))
    else:
        print(report_formats.text(report))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    return asyncio.run(run_report(args))


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], default_config: Path
) -> None:
    parser = sub.add_parser(
        "report",
        help="chat statistics over a span of days",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
How many chats, answered and missed; median and p90 of first response, wait
and duration; per day, per hour of day, per agent and per team; the missed
chats; supervision activity from the audit log.

Days are local days of this machine (set TZ to change); --since and --until
are both included. Times are in m:ss or h:mm:ss (text), seconds (csv, json).""",
        epilog="""\
DAY is a date (2026-11-01), today, yesterday, or Nd: N days ago (7d).

examples:
  huddle report                                  the last 7 days, today included
  huddle report --since 7d --until yesterday     the 7 days before today
  huddle report --since 2026-11-01 --until 2026-11-30 --format csv > november.csv

Exits with status 2 on a bad argument.""",
    )
    parser.add_argument(
        "--since",
        type=parse_day,
        default=DEFAULT_SINCE,
        metavar="DAY",
        help=f"first day included (default: {DEFAULT_SINCE}, the last 7 days with today)",
    )
    parser.add_argument(
        "--until",
        type=parse_day,
        default="today",
        metavar="DAY",
        help="last day included (default: today)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text for people, csv (one table, a section column), json (one object)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database", type=Path, metavar="PATH", help="SQLite file to read")
    where.add_argument(
        "--config",
        type=Path,
        default=default_config,
        help="TOML file naming the database (%(default)s)",
    )
    parser.set_defaults(func=cmd_report)
