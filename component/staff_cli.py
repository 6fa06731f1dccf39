"""``huddle staff add|edit|remove|list``: the staff directory from the shell."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from component.config import Config
from storage.database import open_database
from storage.staff import StaffDirectory, StaffError, StaffMember, normalize_jid


async def run_staff(config: Config, args: argparse.Namespace) -> int:
    async with await open_database(config.database) as db:
        directory = StaffDirectory(db)
        try:
            if args.action == "add":
                # Domains are case-insensitive; the directory stores JIDs lowercased.
                jid = normalize_jid(args.jid)
                domain = jid.rpartition("@")[2]
                if domain not in config.staff_domains:
                    print(
                        f"huddle: {args.jid}: not on a staff domain "
                        f"({', '.join(config.staff_domains)})",
                        file=sys.stderr,
                    )
                    return 2
                member = StaffMember(
                    jid, args.role, args.team, args.name, args.max_chats, args.coached
                )
                await directory.add(member)
                print(f"added {member.jid} ({member.role}, team {member.team}, {member.name!r})")
            elif args.action == "edit":
                current = await directory.get(args.jid)
                if current is None:
                    print(f"huddle: {args.jid} is not in the staff directory", file=sys.stderr)
                    return 1
                changes = {
                    field: value
                    for field, value in (
                        ("role", args.role),
                        ("team", args.team),
                        ("name", args.name),
                        ("max_chats", args.max_chats),
                        ("coached", args.coached),
                    )
                    if value is not None
                }
                member = replace(current, **changes)
                await directory.update(member)
                print(f"changed {member.jid}: {describe(member)}")
                if changes.keys() & {"role", "coached"}:
                    print("  (chats they are in now follow the change when they next join)")
            elif args.action == "remove":
                if not await directory.remove(args.jid):
                    print(f"huddle: {args.jid} is not in the staff directory", file=sys.stderr)
                    return 1
                print(f"removed {args.jid}")
            else:
                members = await directory.list()
                if not members:
                    print("the staff directory is empty")
                for m in members:
                    coached = "  (coached)" if m.coached else ""
                    print(f"{m.jid:32} {m.role:10} {m.team:12} {m.max_chats:3}  {m.name}{coached}")
        except StaffError as exc:
            print(f"huddle: {exc}", file=sys.stderr)
            return 2
    return 0


def describe(m: StaffMember) -> str:
    coached = ", coached" if m.coached else ""
    return f"{m.name}, {m.role} in team {m.team}, up to {m.max_chats} chats{coached}"
