"""The ``huddle`` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from importlib import metadata
from pathlib import Path

from component.canned_cli import add_parser as add_canned_parser
from component.config import Config, ConfigError, load_config
from component.files_cli import add_parser as add_files_parser
from component.prosody_config import add_parser as add_prosody_config_parser
from component.report_cli import add_parser as add_report_parser
from component.web_install import add_parser as add_web_parser

DEFAULT_CONFIG = Path("huddle.toml")


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # slixmpp logs every reconnect attempt at error level; ours say it better.
    logging.getLogger("slixmpp").setLevel(max(logging.WARNING, logging.getLogger().level))


async def _run(config: Config) -> int:
    from component.app import Huddle

    huddle = Huddle(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    starting = asyncio.ensure_future(huddle.start())
    stopping = asyncio.ensure_future(stop.wait())
    # A signal while still connecting (Prosody away) must not wait out the start timeout.
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        logging.getLogger("huddle").info("stopping before the first connection")
        await huddle.stop()
        return 0
    try:
        starting.result()
    except ConnectionError as exc:
        stopping.cancel()
        logging.getLogger("huddle").error("%s", exc)
        return 1
    logging.getLogger("huddle").info("serving %s; stop with Ctrl-C", config.service)
    await stopping
    logging.getLogger("huddle").info("stopping")
    await huddle.stop()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    _setup_logging(args.log_level or config.log_level)
    return asyncio.run(_run(config))


def cmd_dev(args: argparse.Namespace) -> int:
    from component.dev.command import run_dev

    _setup_logging(args.log_level or "info")
    return asyncio.run(run_dev(args.state, args.ports_from))


def cmd_staff(args: argparse.Namespace) -> int:
    from component.staff_cli import run_staff

    config = load_config(args.config, need_secret=False)
    return asyncio.run(run_staff(config, args))


def cmd_records(args: argparse.Namespace) -> int:
    from component.records_cli import run_records

    return asyncio.run(run_records(load_config(args.config, need_secret=False), args))


def version() -> str:
    """This Huddle's version, from the installed package's metadata."""
    try:
        return metadata.version("huddle")
    except metadata.PackageNotFoundError:  # run from a checkout never installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="huddle",
        description="Live customer-support chat on XMPP: an external component for Prosody.",
    )
    parser.add_argument(
        "--log-level", choices=("debug", "info", "warning", "error"), help="override logging.level"
    )
    parser.add_argument("--version", action="version", version=f"huddle {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="connect to Prosody and serve chats")
    run.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="TOML file (%(default)s)")
    run.set_defaults(func=cmd_run)

    dev = sub.add_parser(
        "dev",
        help="start a throwaway local deployment: Prosody, the component and demo staff",
        description="Generates a Prosody config, starts Prosody and the component, registers "
        "demo staff accounts with random passwords, writes STATE/dev.json and prints how to "
        "connect. Ctrl-C stops everything.",
    )
    dev.add_argument("--state", type=Path, default=Path(".huddle-dev"), help="state folder")
    dev.add_argument(
        "--ports-from",
        type=int,
        metavar="N",
        help="use ports N (c2s), N+1 (component), N+2 (http); default: free ports",
    )
    dev.set_defaults(func=cmd_dev)

    staff = sub.add_parser("staff", help="manage the staff directory")
    staff.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="TOML file")
    actions = staff.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a staff member")
    add.add_argument("jid", help="bare JID of their XMPP account, e.g. jennie@example.org")
    add.add_argument("--role", choices=("agent", "supervisor", "admin"), default="agent")
    add.add_argument("--team", default="support", help="team name (%(default)s)")
    add.add_argument("--name", required=True, help="display name shown in chats")
    add.add_argument("--max-chats", type=int, default=3, help="concurrent chats (%(default)s)")
    add.add_argument(
        "--coached", action="store_true", help="coach all their chats: answers await approval"
    )
    edit = actions.add_parser(
        "edit", help="change a staff member; only the options given change"
    )
    edit.add_argument("jid")
    edit.add_argument("--role", choices=("agent", "supervisor", "admin"))
    edit.add_argument("--team")
    edit.add_argument("--name")
    edit.add_argument("--max-chats", type=int)
    coaching = edit.add_mutually_exclusive_group()
    coaching.add_argument(
        "--coached",
        action="store_true",
        default=None,
        help="coach all their chats: their answers wait for a supervisor's approval",
    )
    coaching.add_argument(
        "--not-coached", dest="coached", action="store_false", help="stop coaching them"
    )
    remove = actions.add_parser("remove", help="remove a staff member")
    remove.add_argument("jid")
    listing = actions.add_parser("list", help="list the staff directory")
    for action in (add, edit, remove, listing):
        # Also accepted after the action; SUPPRESS keeps the one given before it.
        action.add_argument(
            "--config", type=Path, default=argparse.SUPPRESS, help=f"TOML file ({DEFAULT_CONFIG})"
        )
    staff.set_defaults(func=cmd_staff)

    transcript = sub.add_parser("transcript", help="print one chat's transcript")
    transcript.add_argument(
        "chat", help="the chat: the short id the desk shows (d5e99021), its id, or the room JID"
    )
    transcript.add_argument(
        "--view",
        choices=("visitor", "staff"),
        default="staff",
        help="what the visitor saw, or everything (%(default)s)",
    )
    transcript.add_argument("--format", choices=("text", "json"), default="text")
    transcripts = sub.add_parser("transcripts", help="export transcripts")
    export = transcripts.add_subparsers(dest="action", required=True, metavar="ACTION")
    exporter = export.add_parser("export", help="JSON lines, one chat each, to stdout")
    exporter.add_argument("--since", required=True, help="date, e.g. 2026-11-01")
    exporter.add_argument("--view", choices=("visitor", "staff"), default="staff")
    purge = sub.add_parser("purge", help="delete closed chats older than an age")
    purge.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 90d, 12h")
    audit = sub.add_parser("audit", help="the supervision audit log")
    audit.add_argument("--chat", help="only this chat (short id, id or room JID)")
    audit.add_argument("--since", help="date, e.g. 2026-11-01")
    audit.add_argument("--format", choices=("text", "json"), default="text")
    for records in (transcript, exporter, purge, audit):
        records.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="TOML file")
        records.set_defaults(func=cmd_records)

    add_prosody_config_parser(sub)
    add_report_parser(sub, DEFAULT_CONFIG)
    add_canned_parser(sub, DEFAULT_CONFIG)
    add_web_parser(sub)
    add_files_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"huddle: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
