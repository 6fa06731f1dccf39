"""``huddle canned add|remove|list``: the canned replies staff say with ``!r <name>``.

A reply belongs to a team (``--team``) or, without one, to every team. ``add``
reads the text from its argument, or from standard input when it is left out
(for a text of several lines); an existing reply is replaced only with
``--replace``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from component.config import load_config
from storage.canned import CannedError, CannedReplies, CannedReply, team_label
from storage.database import open_database


async def run_canned(args: argparse.Namespace) -> int:
    config = load_config(args.config, need_secret=False)
    async with await open_database(config.database) as db:
        replies = CannedReplies(db)
        try:
            if args.action == "add":
                text = args.text if args.text is not None else sys.stdin.read()
                reply = CannedReply(args.team, args.name, text)
                if args.replace and await replies.get(args.team, args.name) is not None:
                    saved = await replies.update(reply)
                    print(f"replaced {saved.name!r} for {team_label(saved.team)}")
                else:
                    saved = await replies.add(reply)
                    print(f"added {saved.name!r} for {team_label(saved.team)}")
            elif args.action == "remove":
                if not await replies.remove(args.team, args.name):
                    print(
                        f"huddle: there is no canned reply {args.name!r} for "
                        f"{team_label(args.team)}",
                        file=sys.stderr,
                    )
                    return 1
                print(f"removed {args.name!r} for {team_label(args.team)}")
            else:
                found = await replies.list(args.team)
                if not found:
                    print("there are no canned replies")
                for r in found:
                    print(f"{team_label(r.team):20} {r.name:32} {' / '.join(r.text.splitlines())}")
        except CannedError as exc:
            print(f"huddle: {exc}", file=sys.stderr)
            return 2
    return 0


class _Intermixed(argparse.ArgumentParser):
    """Options anywhere among the arguments, as the guides write them:
    ``canned add greet --team support "Hello"`` (argparse alone takes the text
    after an option for an argument too many)."""

    _intermixing = False

    def parse_known_args(  # type: ignore[override]
        self, args: list[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self._intermixing:
            # parse_known_intermixed_args parses in two passes through this method.
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def cmd_canned(args: argparse.Namespace) -> int:
    return asyncio.run(run_canned(args))


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], default_config: Path
) -> None:
    canned = sub.add_parser(
        "canned",
        help="manage the canned replies staff say with !r <name>",
        description="Canned replies: answers saved per team (or for every team) that staff "
        "say in a chat with !r <name>; {visitor} and {agent} in the text are filled in "
        "with the visitor's name and the sender's.",
    )
    actions = canned.add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=_Intermixed
    )
    add = actions.add_parser("add", help="save a reply")
    add.add_argument("name", help="what staff type after !r (a-z, 0-9, '-', '_')")
    add.add_argument("text", nargs="?", help="the reply (default: read from standard input)")
    add.add_argument("--replace", action="store_true", help="replace a reply of that name")
    remove = actions.add_parser("remove", help="delete a reply")
    remove.add_argument("name")
    listing = actions.add_parser("list", help="list the replies")
    for action in (add, remove):
        action.add_argument("--team", default="", help="the reply's team (default: every team)")
    listing.add_argument(
        "--team", help="only the replies a chat of this team may use (default: all replies)"
    )
    for action in (add, remove, listing):
        action.add_argument(
            "--config", type=Path, default=default_config, help="TOML file (%(default)s)"
        )
    canned.set_defaults(func=cmd_canned)
