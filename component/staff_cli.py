"""``huddle staff add|remove|list``: the staff directory from the shell."""

from __future__ import annotations

import argparse
import sys

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
                member = StaffMember(jid, args.role, args.team, args.name, args.max_chats)
                await directory.add(member)
                print(f"added {member.jid} ({member.role}, team {member.team}, {member.name!r})")
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
                    print(f"{m.jid:32} {m.role:10} {m.team:12} {m.max_chats:3}  {m.name}")
        except StaffError as exc:
            print(f"huddle: {exc}", file=sys.stderr)
            return 2
    return 0
