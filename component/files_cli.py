"""``huddle example-config`` and ``huddle system-file NAME``: the files a release ships
for admins, printed from the installed package (or the checkout), so that installing
and upgrading need no source tree: ``huddle example-config > …`` to start a
``huddle.toml``, ``diff`` against it to see what a new version added."""

from __future__ import annotations

import argparse
import sys

from component import shipped


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    example = sub.add_parser(
        "example-config",
        help="print huddle.example.toml, every option commented",
        description="Prints the huddle.example.toml of this version of Huddle: every "
        "option with its default, commented. Start huddle.toml from it; after an upgrade, "
        "diff it against the previous version's to see what changed.",
    )
    example.set_defaults(func=run, target="huddle.example.toml")
    system = sub.add_parser(
        "system-file",
        help="print a systemd unit or admin script of this version",
        description="Prints one of the files ADMIN.md installs on the system: "
        + ", ".join(shipped.SYSTEM_FILES),
    )
    system.add_argument("name", choices=shipped.SYSTEM_FILES, metavar="NAME")
    system.set_defaults(func=run_system)


def run(args: argparse.Namespace) -> int:
    try:
        text = shipped.read_text(args.target)
    except shipped.ShippedFileMissing as missing:
        print(f"huddle: {missing}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


def run_system(args: argparse.Namespace) -> int:
    args.target = f"system/{args.name}"
    return run(args)
