"""Benchmark: the component's cost of one MAM query, by archive size.

Run on demand (not part of the test suite):

    .venv/bin/python -m tests.bench.bench_mam --sizes 1000 20000 --queries 200

A chat is filled with ``size`` archived messages (a third of them whispers) in
a fresh SQLite file, a visitor and an agent are put in its room, and MAM
queries go through the real IQ router and handler: authorisation, the archive
read, the policy, building and serialising every result stanza. Nothing is
sent: stanzas are serialised and dropped, so the figure is the component's own
work per query, without Prosody or the network. Printed per size and query:
milliseconds per query (wall clock, single-threaded, so also CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from slixmpp import Iq

from component.app import HuddleXMPP
from component.config import Config
from component.iq_router import IqRouter
from component.muc import mam
from component.muc.content import Content
from component.muc.occupant_id import OccupantIds
from component.muc.recorder import message_row
from component.muc.service import MucService
from roles.chat import Chat
from roles.effects import Said
from roles.model import Occupant, Session
from storage.archive import INSERT, Archive, params
from storage.database import Database, open_database
from storage.staff import StaffDirectory

SERVICE = "support.localhost"
ROOM = "chat-0123456789abcdef0123"
VISITOR = Occupant("Alice (visitor)", "alice@guest.localhost", "visitor", "Alice")
AGENT = Occupant("Jennie", "jennie@localhost", "agent", "Jennie")
RSM = "http://jabber.org/protocol/rsm"
QUERIES = {
    "first page of 10": f"<set xmlns='{RSM}'><max>10</max></set>",
    "last page of 10": f"<set xmlns='{RSM}'><max>10</max><before/></set>",
    "count only (max 0)": f"<set xmlns='{RSM}'><max>0</max></set>",
}


async def fill(db: Database, size: int) -> None:
    rows = []
    for n in range(size):
        sender, staff_only = [(VISITOR, False), (AGENT, False), (AGENT, True)][n % 3]
        content = Content(f"c{n}", f"message number {n}, about as long as a chat line")
        said = Said(sender, staff_only, 1_700_000_000.0 + n, f"id-{n}", content)
        rows.append(params(message_row(ROOM, said)))
    async with db.transaction() as conn:
        await conn.executemany(INSERT, rows)


def service(db: Database) -> tuple[MucService, IqRouter, list[int]]:
    config = Config(
        SERVICE, "bench", staff_domains=("localhost",), visitor_domains=("guest.localhost",)
    )
    xmpp = HuddleXMPP(config)
    sent: list[int] = []

    def send(stanza: Any, *_: Any, **__: Any) -> None:
        text = str(stanza)  # serialised, as the stream would
        if stanza.name == "iq" and stanza["type"] == "error":
            raise SystemExit(f"the benchmark's query was refused: {text}")
        sent.append(len(text))

    xmpp.send = send  # type: ignore[method-assign]
    muc = MucService(xmpp, config, StaffDirectory(db), OccupantIds(b"k" * 32))
    router = IqRouter(SERVICE, frozenset(), muc.rooms.locked)
    mam.register(router, muc, Archive(db))

    room = muc.create_room(ROOM)
    room.chat = Chat(ROOM, "support", 1_700_000_000.0, VISITOR.jid, status="active")
    for who in (VISITOR, AGENT):
        room.state.join(Session(f"{who.jid}/web"), who.jid, who.role, who.name, who.nick)
    return muc, router, sent


def request(xmpp: Any, who: Occupant, rsm: str, n: int) -> Iq:
    xml = ET.fromstring(
        f"<iq xmlns='jabber:component:accept' type='set' id='q{n}' "
        f"from='{who.jid}/web' to='{ROOM}@{SERVICE}'>"
        f"<query xmlns='urn:xmpp:mam:2' queryid='q{n}'>{rsm}</query></iq>"
    )
    return Iq(xmpp, xml=xml)


async def bench(size: int, queries: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with await open_database(Path(tmp) / "bench.sqlite") as db:
            await fill(db, size)
            muc, router, sent = service(db)
            for who in (VISITOR, AGENT):
                for name, rsm in QUERIES.items():
                    iqs = [request(muc.xmpp, who, rsm, n) for n in range(queries + 5)]
                    for iq in iqs[:5]:  # warm caches
                        await router.dispatch(iq)
                    sent.clear()
                    started = time.perf_counter()
                    for iq in iqs[5:]:
                        await router.dispatch(iq)
                    ms = (time.perf_counter() - started) * 1000 / queries
                    stanzas = len(sent) / queries
                    print(
                        f"{size:>7} messages  {who.role:<8} {name:<20} "
                        f"{ms:8.3f} ms/query  ({stanzas:.0f} stanzas each)"
                    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    for size in args.sizes:
        asyncio.run(bench(size, args.queries))


if __name__ == "__main__":
    main()
