"""``huddle transcript``, ``huddle transcripts export``, ``huddle purge``, ``huddle audit``.

Transcripts come from ``component.muc.transcript``: ``--view visitor`` is exactly
what the visitor saw (no whispers, nothing said while hidden); ``--view staff``
is everything, whispers marked.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime

from component.config import Config
from component.muc.transcript import iso, load, transcript_json, transcript_text
from roles.effects import Said
from storage import audit
from storage.archive import Archive
from storage.chats import ChatRow, ChatStore
from storage.database import Database, open_database

_DURATION = re.compile(r"^(\d+)([dhm])$")


def one_line(data: object) -> str:
    """JSON on one line, whatever the text: U+2028, U+2029 and U+0085 are line
    breaks to many readers (Python's ``splitlines`` among them), so they are
    escaped like the ASCII ones."""
    text = json.dumps(data, ensure_ascii=False)
    for char in ("\u2028", "\u2029", "\x85"):
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def parse_since(text: str) -> float:
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(
            f"huddle: --since: expected a date like 2026-11-01, got {text!r}"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def parse_age(text: str) -> float:
    match = _DURATION.match(text)
    if not match:
        raise SystemExit(f"huddle: --older-than: expected e.g. 90d, 12h or 30m, got {text!r}")
    number, unit = int(match[1]), match[2]
    return number * {"d": 86400, "h": 3600, "m": 60}[unit]


MIN_SHORT_ID = 4


class NoSuchChat(LookupError):
    pass


async def resolve(db: Database, chat: str) -> str:
    """The chat id ``chat`` names: a whole id, a room address, or an unambiguous
    start of the id, such as the short id the desk shows (``[d5e99021]``)."""
    key = chat.strip().strip("[]").split("@", 1)[0].removeprefix("xmpp:").removeprefix("chat-")
    if len(key) < MIN_SHORT_ID:
        raise NoSuchChat(f"{chat!r} is too short to name a chat (give {MIN_SHORT_ID} characters)")
    store = ChatStore(db)
    if await store.get(f"chat-{key}") is not None:
        return f"chat-{key}"  # a whole id, even if it starts another one
    found = await store.matching(f"chat-{key}")
    if not found:
        raise NoSuchChat(f"no chat {chat!r}")
    if len(found) > 1:
        raise NoSuchChat(f"{chat!r} names more than one chat; give more of its id")
    return found[0]


async def _load(db: Database, chat: str) -> tuple[ChatRow, list[Said]] | None:
    return await load(db, await resolve(db, chat))


async def run_records(config: Config, args: argparse.Namespace) -> int:
    async with await open_database(config.database) as db:
        if args.command == "transcript":
            try:
                loaded = await _load(db, args.chat)
            except NoSuchChat as missing:
                print(f"huddle: {missing}", file=sys.stderr)
                return 1
            if loaded is None:
                print(f"huddle: no chat {args.chat!r}", file=sys.stderr)
                return 1
            data = transcript_json(*loaded, args.view)
            print(
                json.dumps(data, indent=2, ensure_ascii=False)
                if args.format == "json"
                else transcript_text(data)
            )
        elif args.command == "transcripts":
            since = parse_since(args.since)
            ids = await Archive(db).chat_ids_since(since)
            for number, chat_id in enumerate(ids, 1):
                loaded = await load(db, chat_id)
                assert loaded is not None
                print(one_line(transcript_json(*loaded, args.view)))
                print(f"exported {number}/{len(ids)}: {chat_id}", file=sys.stderr)
            print(f"exported {len(ids)} chats since {args.since}", file=sys.stderr)
        elif args.command == "purge":
            before = time.time() - parse_age(args.older_than)
            chats, messages = await Archive(db).purge_before(before)
            print(
                f"purged {chats} closed chats and {messages} messages older than {args.older_than}"
            )
        else:
            since = parse_since(args.since) if args.since else 0.0
            try:
                chat = await resolve(db, args.chat) if args.chat else None
            except NoSuchChat as missing:
                print(f"huddle: {missing}", file=sys.stderr)
                return 1
            for entry in await audit.read(db, chat, since):
                if args.format == "json":
                    print(json.dumps({**asdict(entry), "time": iso(entry.stamp)}))
                else:
                    detail = f" {entry.detail}" if entry.detail else ""
                    print(
                        f"{iso(entry.stamp)} {entry.chat_id} {entry.actor} {entry.action}{detail}"
                    )
    return 0
