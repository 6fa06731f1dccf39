"""Benchmark: the component's own cost per delivered stanza and per archived row.

Run on demand (not part of the test suite):

    .venv/bin/python -m tests.bench.bench_fanout

In-process, no network, no Prosody:

- ``deliver``: a 3-occupant chat (visitor, agent, hidden supervisor). Each
  message goes through ``Door.deliver`` and slixmpp's real send queue
  (``send`` → ``run_filters`` → serialisation → ``send_raw``) into a transport
  that drops the bytes. Also a whisper (staff only) and a staff member joining
  (presence fan-out, occupant list, subject). Printed: µs per delivered stanza.
- ``writer``: ``BatchWriter`` on a fresh SQLite file, fed one archive row per
  message as the recorder does, in the small batches of ~1,000 rows/s (each
  tick's rows committed before the next tick's arrive). Printed: CPU µs per
  row, the event loop's thread alone and the whole process (with SQLite's).
- ``rows``: the parts of one archived message: its stanza-id, its row, its JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from component.app import HuddleXMPP
from component.config import Config
from component.muc import messages
from component.muc.content import Content, content_to_json
from component.muc.door import Door
from component.muc.occupant_id import OccupantIds
from component.muc.recorder import message_insert, message_row
from component.muc.views import Views
from roles.effects import Effect, Said
from roles.model import Occupant, Session
from roles.room import RoomState
from storage.database import open_database
from storage.writer import BatchWriter

SERVICE = "support.localhost"
ROOM = f"chat-0123456789abcdef0123456789abcdef@{SERVICE}"
VISITOR = Occupant("Alice (visitor)", "alice@guest.localhost", "visitor", "Alice")
AGENT = Occupant("Jennie", "jennie@localhost", "agent", "Jennie")
SUPERVISOR = Occupant("John", "john@localhost", "supervisor", "John", hidden=True)
COLLEAGUE = Occupant("Kim", "kim@localhost", "agent", "Kim")
LINE = "Hello, I ordered a blue kettle last week & it arrived <broken>; can you help?"


class Sink(asyncio.Transport):
    """Where the stream writes: counts stanzas and bytes, keeps nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.stanzas = 0
        self.bytes = 0

    def write(self, data: Any) -> None:
        self.stanzas += 1
        self.bytes += len(data)


def room() -> tuple[HuddleXMPP, Door, Views, RoomState, Sink]:
    config = Config(
        SERVICE, "bench", staff_domains=("localhost",), visitor_domains=("guest.localhost",)
    )
    xmpp = HuddleXMPP(config)
    sink = Sink()
    xmpp.transport = sink
    xmpp._session_started = True
    state = RoomState(ROOM)
    for who in (VISITOR, AGENT, SUPERVISOR):
        state.join(
            Session(f"{who.jid}/web"), who.jid, who.role, who.name, who.nick, hidden=who.hidden
        )
    return xmpp, Door(xmpp), Views(xmpp, ROOM, OccupantIds(b"k" * 32)), state, sink


async def timed(
    xmpp: HuddleXMPP, sink: Sink, door: Door, views: Views, make: Callable[[int], list[Effect]]
) -> float:
    """µs per delivered stanza, best of five runs."""
    best = float("inf")
    for _ in range(5):
        batches = [make(n) for n in range(2000)]
        before = sink.stanzas
        started = time.perf_counter()
        for effects in batches:
            door.deliver(views, effects)
        await xmpp.waiting_queue.join()
        elapsed = time.perf_counter() - started
        best = min(best, elapsed * 1e6 / (sink.stanzas - before))
    return best


async def bench_deliver() -> None:
    xmpp, door, views, state, sink = room()
    sender = messages.MessageHandler.__new__(messages.MessageHandler)
    pump = asyncio.ensure_future(xmpp.run_filters())

    def said(n: int, who: Occupant, staff_only: bool) -> Said:
        content = Content(f"m{n}", LINE, origin_id=f"o{n}", markable=True)
        return sender._said(who, staff_only, content)

    def message(n: int) -> list[Effect]:
        return state.say(f"{VISITOR.jid}/web", said(n, VISITOR, False))

    def whisper(n: int) -> list[Effect]:
        return state.say(f"{SUPERVISOR.jid}/web", said(n, SUPERVISOR, True))

    def join(n: int) -> list[Effect]:
        session = f"{COLLEAGUE.jid}/r{n}"
        effects = state.join(
            Session(session), COLLEAGUE.jid, COLLEAGUE.role, COLLEAGUE.name, COLLEAGUE.nick
        )
        state.leave(session)
        return effects

    try:
        for name, make in (("message", message), ("whisper", whisper), ("join", join)):
            state.history.clear()
            per = len(make(0))
            us = await timed(xmpp, sink, door, views, make)
            print(f"deliver {name:<8} {per} stanzas each  {us:7.2f} µs per delivered stanza")
    finally:
        pump.cancel()


async def bench_writer(rows: int, bursts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with await open_database(Path(tmp) / "bench.sqlite") as db:
            writer = BatchWriter(db)
            writer.start()
            serial = 0
            for burst in bursts:
                best_loop = best_process = float("inf")
                for _ in range(5):
                    inserts = []
                    for n in range(serial, serial + rows):
                        said = Said(VISITOR, False, time.time(), f"id-{n}", Content(f"m{n}", LINE))
                        inserts.append(message_insert("c", said))
                    serial += rows
                    loop_cpu = time.thread_time()
                    process_cpu = time.process_time()
                    for n in range(0, rows, burst):
                        await asyncio.gather(
                            *(writer.write_many([row]) for row in inserts[n : n + burst])
                        )
                    best_loop = min(best_loop, (time.thread_time() - loop_cpu) * 1e6 / rows)
                    best_process = min(
                        best_process, (time.process_time() - process_cpu) * 1e6 / rows
                    )
                print(
                    f"writer {burst} rows per commit: {best_loop:6.1f} µs CPU per row on the "
                    f"event loop's thread, {best_process:6.1f} µs in the whole process"
                )
            await writer.stop()


def bench_rows() -> None:
    sender = messages.MessageHandler.__new__(messages.MessageHandler)
    content = Content("m1", LINE, origin_id="o1", markable=True)
    said = sender._said(VISITOR, False, content)
    cases: dict[str, Callable[[], object]] = {
        "stanza-id + Said": lambda: sender._said(VISITOR, False, content),
        "content_to_json": lambda: content_to_json(content),
        "message_row": lambda: message_row("c", said),
    }
    for name, fn in cases.items():
        n = 50_000
        started = time.perf_counter()
        for _ in range(n):
            fn()
        print(f"rows   {name:<18} {(time.perf_counter() - started) * 1e6 / n:6.2f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="writer rows per run")
    parser.add_argument(
        "--bursts", type=int, nargs="+", default=[1, 4], help="writer rows per commit"
    )
    args = parser.parse_args()
    asyncio.run(bench_deliver())
    asyncio.run(bench_writer(args.rows, args.bursts))
    bench_rows()


if __name__ == "__main__":
    main()
