"""Benchmark: the least a Python asyncio component can spend per message.

`bench_load` measures Huddle against Prosody's MUC. This one measures what any
XEP-0114 component written in Python pays before doing anything useful, so that
Huddle's number can be read against a floor rather than against zero. No Prosody:
a driver process plays the server on a loopback TCP socket, sending groupchat
messages open-loop at a fixed rate and reading what comes back; the component
process answers each message with three stanzas (one per occupant) in one write.

Variants, each in a fresh process, CPU from ``getrusage`` (all threads, user+sys):

- ``bare``: find each ``</message>``, write three canned stanzas;
- ``parse``: parse every stanza with ElementTree's pull parser (as slixmpp does)
  and serialise three addressed copies;
- ``bare+commit``: ``bare``, plus one INSERT and COMMIT through aiosqlite before
  answering (persist, then send);
- ``parse+commit``: both.

Run: ``.venv/bin/python -m tests.bench.bench_floor [--rates 200 400] [--seconds 8]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import socket
import sqlite3
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

STANZA = (
    "<message xmlns='jabber:component:accept' type='groupchat' id='m{n}' "
    "from='visitor{n}@anon.localhost/web' to='chat-0000{n}@support.localhost'>"
    "<body>Hello, I have a question about my order number {n}</body>"
    "<origin-id xmlns='urn:xmpp:sid:0' id='o{n}'/></message>"
)
OUT = (
    "<message xmlns='jabber:component:accept' type='groupchat' "
    "from='chat-1@support.localhost/Mia' to='{to}' id='x'>"
    "<body>Hello, I have a question about my order number</body>"
    "<stanza-id xmlns='urn:xmpp:sid:0' id='0123456789abcdef' by='chat-1@support.localhost'/>"
    "</message>"
)
RECIPIENTS = ("visitor@anon.localhost/web", "agent@localhost/gajim", "boss@localhost/dino")
CANNED = "".join(OUT.format(to=to) for to in RECIPIENTS).encode()
VARIANTS = ("bare", "parse", "bare+commit", "parse+commit")
ET.register_namespace("", "jabber:component:accept")


@dataclass
class Result:
    variant: str
    rate: int
    messages: int
    replies: int
    cpu_us_per_message: float


class Component(asyncio.Protocol):
    def __init__(self, variant: str, db: aiosqlite.Connection | None) -> None:
        self.parse = variant.startswith("parse")
        self.db = db
        self.buffer = b""
        self.parser = ET.XMLPullParser(("start", "end"))
        self.parser.feed("<stream:stream xmlns='jabber:component:accept' "
                         "xmlns:stream='http://etherx.jabber.org/streams'>")
        self.depth = 0
        self.transport: Any = None
        self.count = 0
        self.pending: set[asyncio.Future[None]] = set()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.parse:
            self.parser.feed(data)
            for event, element in self.parser.read_events():
                if event == "start":
                    self.depth += 1
                    continue
                self.depth -= 1
                if self.depth == 1:  # a stanza, inside the stream element
                    self._handle(element)
            return
        self.buffer += data
        while (end := self.buffer.find(b"</message>")) >= 0:
            self.buffer = self.buffer[end + 10 :]
            self._handle(None)

    def _handle(self, element: ET.Element | None) -> None:
        if self.db is None:
            self._answer(element)
        else:
            task = asyncio.ensure_future(self._persist_then_answer(element))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)

    async def _persist_then_answer(self, element: ET.Element | None) -> None:
        assert self.db is not None
        self.count += 1
        row = (self.count, time.time(), "body")

        def commit() -> None:
            raw: sqlite3.Connection = self.db._conn  # type: ignore[union-attr]
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("INSERT INTO messages (n, stamp, body) VALUES (?, ?, ?)", row)
            raw.commit()

        await self.db._execute(commit)
        self._answer(element)

    def _answer(self, element: ET.Element | None) -> None:
        if element is None:
            self.transport.write(CANNED)
            return
        out = []
        for to in RECIPIENTS:
            element.set("to", to)
            element.set("from", "chat-1@support.localhost/Mia")
            out.append(ET.tostring(element, encoding="unicode"))
        self.transport.write("".join(out).encode())


def run_component(variant: str, port: int, ready: Any, done: Any) -> None:
    async def main() -> None:
        db = None
        if variant.endswith("commit"):
            path = Path(tempfile.mkdtemp()) / "floor.db"
            db = await aiosqlite.connect(path, isolation_level=None)
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("CREATE TABLE messages (n INTEGER, stamp REAL, body TEXT)")
        loop = asyncio.get_running_loop()
        sock = socket.create_connection(("127.0.0.1", port))
        await loop.create_connection(lambda: Component(variant, db), sock=sock)
        ready.set()
        await loop.run_in_executor(None, done.wait)
        if db is not None:
            await db.close()

    asyncio.run(main())


def drive(variant: str, rate: int, seconds: float) -> Result:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    ctx = multiprocessing.get_context("spawn")
    ready, done, queue = ctx.Event(), ctx.Event(), ctx.Queue()
    cpu = ctx.Queue()
    proc = ctx.Process(target=_measured, args=(variant, port, ready, done, queue, cpu))
    proc.start()
    conn, _ = server.accept()
    ready.wait(30)
    conn.setblocking(False)
    counter = _Counter()
    sent = 0
    start = time.monotonic()
    cpu_start = None
    # Open loop: message n goes at start + n / rate whatever the component does.
    while (now := time.monotonic()) < start + seconds:
        due = int((now - start) * rate) + 1
        while sent < due:
            conn.sendall(STANZA.format(n=sent).encode())
            sent += 1
        counter.feed(_drain(conn))
        time.sleep(min(0.001, 1 / rate))
        if cpu_start is None:
            queue.put("mark")
            cpu_start = cpu.get()
    deadline = time.monotonic() + 5
    while counter.stanzas < sent * len(RECIPIENTS) and time.monotonic() < deadline:
        counter.feed(_drain(conn))
        time.sleep(0.001)
    queue.put("mark")
    cpu_end = cpu.get()
    done.set()
    proc.join(30)
    conn.close()
    server.close()
    messages = sent
    answered = counter.stanzas // len(RECIPIENTS)
    return Result(variant, rate, messages, answered, (cpu_end - cpu_start) / messages * 1e6)


class _Counter:
    """Counts ``</message>`` in a byte stream that may split it between reads."""

    def __init__(self) -> None:
        self.stanzas = 0
        self.tail = b""

    def feed(self, data: bytes) -> None:
        joined = self.tail + data
        self.stanzas += joined.count(b"</message>")
        self.tail = joined[-9:]


def _measured(variant: str, port: int, ready: Any, done: Any, queue: Any, cpu: Any) -> None:
    import threading

    def answer_marks() -> None:
        while True:
            if queue.get() != "mark":
                return
            usage = resource.getrusage(resource.RUSAGE_SELF)
            cpu.put(usage.ru_utime + usage.ru_stime)

    threading.Thread(target=answer_marks, daemon=True).start()
    run_component(variant, port, ready, done)


def _drain(conn: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            data = conn.recv(1 << 16)
        except BlockingIOError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=int, nargs="+", default=[200, 400])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    args = parser.parse_args()
    print(f"{'variant':<14}{'rate':>6}{'sent':>7}{'answered':>10}{'µs CPU/message':>16}"
          f"{'per delivery':>14}")
    for rate in args.rates:
        for variant in args.variants:
            r = drive(variant, rate, args.seconds)
            print(f"{r.variant:<14}{r.rate:>6}{r.messages:>7}{r.replies:>10}"
                  f"{r.cpu_us_per_message:>16.1f}{r.cpu_us_per_message / 3:>14.1f}", flush=True)
    print("\nper delivery = per message / 3 (each message goes to three occupants);"
          " compare with bench_load's mod_muc Prosody CPU per delivery times 0.15")


if __name__ == "__main__":
    main()
