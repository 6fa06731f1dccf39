"""Benchmark: Huddle's cost against Prosody's own MUC under open-loop load (issue 11's goals).

Run on demand (not part of the test suite; pytest collects only ``test_*.py``):

    .venv/bin/python -m tests.bench.bench_load                 # the load goals
    .venv/bin/python -m tests.bench.bench_load --open-chats    # 10,000 open chats: RSS, restart

One Prosody, started through the same code as ``huddle dev``, serves both its own
MUC (``muc.localhost``) and Huddle (``support.localhost``, run as its own
``huddle run`` process, as in production). On each side ``--chats`` rooms hold
three occupants: a visitor (anonymous on Huddle; a staff-domain account on
mod_muc, because Prosody fences anonymous visitors in to the support service),
an agent and a supervisor (hidden on Huddle). Clients are raw plaintext c2s
sockets driven by one asyncio loop with pre-built stanzas, so the load
generator stays cheap; its own CPU is printed.

Messages are offered open-loop (at a fixed rate, whatever the service does) by
visitors and agents in turn, ``--seconds`` per rate, sides alternating. Every
connection counts what it receives, so a message counts three deliveries (the
hidden supervisor's included). CPU comes from ``/proc/<pid>/task/*/sched``
(``se.sum_exec_runtime``, ns resolution) for Prosody and for the component;
latency from the send time carried in the body.

``--open-chats`` fills the component's database with ``--open-chat-count``
open chats, cloned from one chat made by real clients (so every row is in the
format the component writes), restarts the component and reports its RSS and
the time from start to its "serving" line.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from component.dev.stack import DevStack

# The load measures cost, not Huddle's limits: these clients send far faster than
# the rates a real visitor or agent is allowed.
UNLIMITED = """
[limits]
waiting_chats = 1000000
visitor_messages_per_second = 10000.0
visitor_messages_burst = 100000
staff_messages_per_second = 10000.0
staff_messages_burst = 100000
presence_per_second = 10000.0
presence_burst = 100000
archive_messages_per_chat = 100000000
"""
HUDDLE = "huddle"
MOD_MUC = "mod_muc"
ROLES = ("visitor", "agent", "supervisor")
TIMEOUT = 20.0
STREAM = (
    "<?xml version='1.0'?><stream:stream to='{host}' xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
)
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
FEATURES = re.compile(rb"</stream:features>")
AUTH_DONE = re.compile(rb"<(success)\b|<failure\b.*?</failure>", re.S)
BOUND = re.compile(rb"<jid>([^<]+)</jid>|<iq[^>]*type='error'")
# The end of a join (XEP-0045: the subject comes last), or its refusal.
JOINED = re.compile(rb"<subject\b|<presence[^>]*type='error'[^>]*>.*?</presence>", re.S)
IQ_DONE = re.compile(rb"<iq[^>]*type='(result|error)'")
# A benchmark message's body: the window it belongs to and its send time.
BODY = re.compile(rb"<body>Z(\d+)\.(\d+)</body>")
MESSAGE_END = b"</message>"
KEEP_UNPARSED = 1 << 16
SERVING = "serving "
GONE_LINE = "sessions were gone after"
# Frames on every stack of a thread (start-up, the event loop's own loop), left
# out of the inclusive list, where they would only crowd out the component's.
BOILERPLATE = (
    "<frozen runpy>",
    "threading.py",
    "asyncio/runners.py",
    "run_forever",
    "run_until_complete",
    "_run_once",
    "component/cli.py",
)


# ---------------------------------------------------------------- measurements


def thread_cpu_ns(pid: int) -> dict[str, int]:
    """Each thread's CPU time so far, by "name/tid" (the main thread is the one
    whose tid is the pid); ``/proc/<pid>/stat`` ticks are too coarse."""
    out: dict[str, int] = {}
    base = Path(f"/proc/{pid}/task")
    for task in base.iterdir():
        with contextlib.suppress(OSError):
            name = "main" if task.name == str(pid) else (task / "comm").read_text().strip()
            for line in (task / "sched").read_text().splitlines():
                if line.startswith("se.sum_exec_runtime"):
                    # Milliseconds with six decimals.
                    out[f"{name}/{task.name}"] = round(float(line.split(":")[1]) * 1_000_000)
                    break
    return out


def cpu_ns(pid: int) -> int:
    return sum(thread_cpu_ns(pid).values())


def rss_kb(pid: int) -> dict[str, int]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def percentile(values: list[int], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(p * len(ordered)))])


# ---------------------------------------------------------------- raw clients


class RawClient(asyncio.Protocol):
    """One c2s session on a plain socket: stanzas are pre-built strings, and what
    arrives is scanned with byte regexes rather than parsed, so that the load
    generator costs a few µs per stanza instead of slixmpp's ~65."""

    def __init__(self, load: Load | None, side: str, role: str) -> None:
        self.load = load
        self.side = side
        self.role = role
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.waiting: tuple[re.Pattern[bytes], asyncio.Future[re.Match[bytes]]] | None = None
        self.counting = False
        self.closed = asyncio.get_running_loop().create_future()
        self.jid = ""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        if self.waiting is not None and not self.waiting[1].done():
            self.waiting[1].set_exception(ConnectionError(f"{self.jid or self.role}: closed"))

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if self.counting and self.load is not None:
            end = buf.rfind(MESSAGE_END)
            if end >= 0:
                self.load.received(self, bytes(buf[: end + len(MESSAGE_END)]))
                del buf[: end + len(MESSAGE_END)]
            elif len(buf) > KEEP_UNPARSED:
                del buf[:-KEEP_UNPARSED]
        if self.waiting is not None:
            pattern, future = self.waiting
            # A snapshot: a match on the bytearray itself would change with it.
            found = pattern.search(bytes(buf))
            if found is not None:
                self.waiting = None
                del buf[: found.end()]
                if not future.done():
                    future.set_result(found)
        elif not self.counting:
            # Nobody asked for it (presence broadcasts while others join).
            buf.clear()

    def write(self, text: str | bytes) -> None:
        assert self.transport is not None
        self.transport.write(text.encode() if isinstance(text, str) else text)

    async def ask(self, text: str, pattern: re.Pattern[bytes]) -> re.Match[bytes]:
        """Send ``text`` and wait for ``pattern``; set up before writing, so an
        immediate answer is never missed."""
        future: asyncio.Future[re.Match[bytes]] = asyncio.get_running_loop().create_future()
        self.waiting = (pattern, future)
        self.write(text)
        return await asyncio.wait_for(future, TIMEOUT)

    async def login(
        self, host: str, user: str = "", password: str = "", resource: str = ""
    ) -> None:
        await self.ask(STREAM.format(host=host), FEATURES)
        if user:
            token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
            auth = f"<auth xmlns='{SASL}' mechanism='PLAIN'>{token}</auth>"
        else:
            auth = f"<auth xmlns='{SASL}' mechanism='ANONYMOUS'/>"
        done = await self.ask(auth, AUTH_DONE)
        if done.group(1) != b"success":
            raise SystemExit(f"login {user or 'anonymous'}@{host}: {done.group(0).decode()}")
        await self.ask(STREAM.format(host=host), FEATURES)
        bound = await self.ask(
            "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
            f"<resource>{resource or 'bench'}</resource></bind></iq>",
            BOUND,
        )
        if bound.group(1) is None:
            raise SystemExit(f"binding a resource for {user or 'anonymous'}@{host} failed")
        self.jid = bound.group(1).decode()

    async def join(self, room: str, nick: str) -> None:
        found = await self.ask(
            f"<presence to='{room}/{nick}' id='j'><x xmlns='http://jabber.org/protocol/muc'>"
            "<history maxstanzas='0'/></x></presence>",
            JOINED,
        )
        if not found.group(0).startswith(b"<subject"):
            raise SystemExit(f"{self.jid} could not join {room}: {found.group(0).decode()}")

    async def close(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.waiting = None
        self.counting = False
        self.write("</stream:stream>")
        self.transport.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.closed), 2.0)


async def connect(host: str, port: int, load: Load | None, side: str, role: str) -> RawClient:
    _, client = await asyncio.get_running_loop().create_connection(
        lambda: RawClient(load, side, role), host, port
    )
    return client


# ---------------------------------------------------------------- the workload


@dataclass
class Chat:
    room: str
    members: dict[str, RawClient]
    # Pre-built groupchat stanzas around the body, one per sender.
    heads: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Window:
    number: int
    side: str
    rate: int
    seconds: float
    sent: int = 0
    sending: bool = True  # until every message of the window is out
    deliveries: int = 0
    in_time: int = 0  # arrived before the end of sending plus the drain
    errors: int = 0
    latencies_ns: list[int] = field(default_factory=list)
    by_role: Counter[str] = field(default_factory=Counter)
    deadline_ns: int = 0
    prosody_ns: int = 0
    component_ns: int = 0
    component_threads: dict[str, int] = field(default_factory=dict)
    generator_ns: int = 0
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def expected(self) -> int:
        return self.sent * len(ROLES)

    @property
    def kept_up(self) -> bool:
        return self.expected > 0 and self.in_time >= 0.99 * self.expected and not self.errors


class Load:
    """Counts deliveries and latencies for the window in progress."""

    def __init__(self) -> None:
        self.windows: dict[int, Window] = {}

    def received(self, client: RawClient, chunk: bytes) -> None:
        now = time.monotonic_ns()
        for piece in chunk.split(MESSAGE_END):
            found = BODY.search(piece)
            if found is None:
                continue
            window = self.windows.get(int(found.group(1)))
            if window is None:
                continue
            head = piece[piece.rfind(b"<message") :]
            if b"type='error'" in head[: head.find(b">")]:
                window.errors += 1
                continue
            window.deliveries += 1
            window.by_role[client.role] += 1
            window.latencies_ns.append(now - int(found.group(2)))
            if now <= window.deadline_ns:
                window.in_time += 1
            if not window.sending and window.deliveries >= window.expected:
                window.complete.set()


async def log_in_side(
    stack: DevStack, side: str, chats: int, load: Load, batch: int = 50
) -> list[Chat]:
    info = stack.info
    account = {a.jid.split("@")[0]: a for a in info.accounts}
    # Prosody fences anonymous visitors in to the support service: on its own MUC
    # the visitor is played by a staff-domain account.
    users = {
        "visitor": None if side == HUDDLE else account["josh"],
        "agent": account["jennie"],
        "supervisor": account["john"],
    }
    service = info.service if side == HUDDLE else stack.prosody.muc_domain

    async def one(n: int) -> Chat:
        members = {}
        for role in ROLES:
            client = await connect(info.c2s_host, info.c2s_port, load, side, role)
            user = users[role]
            if user is None:
                await client.login(info.visitor_domain)
            else:
                name, host = user.jid.split("@")
                await client.login(host, name, user.password, f"{side}-{role}-{n}")
            members[role] = client
        room = f"chat-{secrets.token_hex(16)}@{service}"
        return Chat(room, members)

    out: list[Chat] = []
    for start in range(0, chats, batch):
        out += await asyncio.gather(*(one(n) for n in range(start, min(chats, start + batch))))
    for chat in out:
        for role in ("visitor", "agent"):
            chat.heads[role] = f"<message to='{chat.room}' type='groupchat'><body>Z".encode()
    return out


@dataclass
class Procs:
    prosody: int
    component: int


async def joins(chats: list[Chat], procs: Procs) -> tuple[float, float, float]:
    """Sequential joins, visitor first (it opens the chat): mean wall time per
    join, and Prosody's and the component's CPU per join."""
    prosody, component = cpu_ns(procs.prosody), cpu_ns(procs.component)
    started = time.perf_counter()
    for chat in chats:
        for role in ROLES:
            await chat.members[role].join(chat.room, role.capitalize())
    wall = time.perf_counter() - started
    count = len(chats) * len(ROLES)
    return (
        wall / count,
        (cpu_ns(procs.prosody) - prosody) / count,
        (cpu_ns(procs.component) - component) / count,
    )


async def offer(
    window: Window, chats: list[Chat], procs: Procs, drain: float, settle: float
) -> None:
    """Open loop: message ``i`` is due at ``i / rate`` seconds, whatever the service
    does; then wait (on the counted deliveries, not a timer) for the rest."""
    tail = b"</body></message>"
    senders = [
        (chat.members[role], chat.heads[role]) for role in ("visitor", "agent") for chat in chats
    ]
    total = int(window.rate * window.seconds)
    prosody, component = cpu_ns(procs.prosody), thread_cpu_ns(procs.component)
    generator = time.process_time_ns()
    start = time.monotonic_ns()
    window.deadline_ns = start + int((window.seconds + drain) * 1e9)
    tag = f"{window.number}.".encode()
    sent = 0
    while sent < total:
        due = min(total, int((time.monotonic_ns() - start) * window.rate / 1e9) + 1)
        while sent < due:
            client, head = senders[sent % len(senders)]
            client.write(head + tag + str(time.monotonic_ns()).encode() + tail)
            sent += 1
        window.sent = sent
        next_due = start + sent * 1e9 / window.rate
        # The pacing of an open loop is the one timer in a measurement.
        await asyncio.sleep(max(0.0, (next_due - time.monotonic_ns()) / 1e9))
    window.sent = sent
    window.sending = False
    if window.deliveries >= window.expected:
        window.complete.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(window.complete.wait(), window.seconds + drain + settle)
    after = thread_cpu_ns(procs.component)
    window.prosody_ns = cpu_ns(procs.prosody) - prosody
    window.component_ns = sum(after.values()) - sum(component.values())
    window.component_threads = {t: after[t] - component.get(t, 0) for t in after}
    window.generator_ns = time.process_time_ns() - generator


# ---------------------------------------------------------------- processes


async def start_component(
    stack: DevStack, log_path: Path, level: str
) -> asyncio.subprocess.Process:
    with log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "component.cli",
            "--log-level",
            level,
            "run",
            "--config",
            str(stack.config_path),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )


async def wait_for_line(
    log_path: Path, offset: int, text: str, process: asyncio.subprocess.Process, timeout: float
) -> float:
    """Until the component logs ``text``; the monotonic time it was seen. Polls
    a log file written by another process; 5 ms is far below what is measured."""
    deadline = time.monotonic() + timeout
    with log_path.open("rb") as log:
        log.seek(offset)
        seen = b""
        while True:
            seen += log.read()
            if text.encode() in seen:
                return time.monotonic()
            if process.returncode is not None:
                raise SystemExit(f"the component exited ({process.returncode}); see {log_path}")
            if time.monotonic() > deadline:
                raise SystemExit(f"the component did not log {text!r} in {timeout} s")
            await asyncio.sleep(0.005)


async def stop_component(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


# ---------------------------------------------------------------- reporting


def us(ns: float) -> str:
    return f"{ns / 1000:8.1f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def goal(name: str, ratio: float, limit: float, also: bool = True) -> str:
    return f"  {name:50} {ratio:6.2f}  {limit:5}  {verdict(also and ratio <= limit)}"


def report(
    windows: list[Window], join: dict[str, tuple[float, float, float]], chats: int
) -> list[str]:
    lines = [
        f"{chats} chats per side, 3 occupants each; each message is 3 deliveries",
        "",
        "side     rate  sent  deliv  in-time  errors   p50 ms   p99 ms  prosody  "
        "component  load-gen  (µs CPU per delivery)",
    ]
    for w in windows:
        d = max(1, w.deliveries)
        lines.append(
            f"{w.side:8} {w.rate:4} {w.sent:5} {w.deliveries:6}"
            f" {w.in_time / max(1, w.expected):8.1%}"
            f" {w.errors:6} {percentile(w.latencies_ns, 0.5) / 1e6:8.2f}"
            f" {percentile(w.latencies_ns, 0.99) / 1e6:8.2f} {us(w.prosody_ns / d)}"
            f" {us(w.component_ns / d) if w.side == HUDDLE else '       -'}   "
            f" {us(w.generator_ns / d)}"
        )
    for w in windows:
        if w.side == HUDDLE:
            roles = ", ".join(f"{r} {w.by_role[r]}" for r in ROLES)
            lines.append(f"huddle {w.rate}/s deliveries by role: {roles} (sent {w.sent})")
    threads = Counter[str]()
    for w in windows:
        if w.side == HUDDLE:
            threads.update(w.component_threads)
    total = sum(threads.values()) or 1
    lines.append(
        "component CPU by thread: "
        + ", ".join(f"{t} {v / total:.0%}" for t, v in threads.most_common() if v)
    )
    lines += [
        "",
        "joins (sequential): ms wall per join, µs Prosody CPU, µs component CPU per join",
    ]
    for side, (wall, prosody, component) in join.items():
        lines.append(f"  {side:8} {wall * 1000:6.2f} ms {us(prosody)} {us(component)}")

    lines += ["", f"{'goal':52} {'ratio':>6}  {'limit':>5}  verdict"]
    by_rate: dict[int, dict[str, Window]] = {}
    for w in windows:
        by_rate.setdefault(w.rate, {})[w.side] = w
    for rate, pair in sorted(by_rate.items()):
        if len(pair) < 2:
            continue
        m, h = pair[MOD_MUC], pair[HUDDLE]
        muc_cost = m.prosody_ns / max(1, m.deliveries)
        own = h.component_ns / max(1, h.deliveries) / muc_cost
        both = (h.component_ns + h.prosody_ns) / max(1, h.deliveries) / muc_cost
        lines.append(goal(f"Huddle CPU / mod_muc's Prosody CPU, at {rate}/s", own, 0.15))
        lines.append(goal(f"(Prosody + Huddle) / mod_muc's Prosody, at {rate}/s", both, 1.5))
        if m.kept_up:
            p99 = percentile(h.latencies_ns, 0.99) / percentile(m.latencies_ns, 0.99)
            kept = "kept up" if h.kept_up else "fell behind"
            lines.append(
                goal(f"p99 Huddle / mod_muc at {rate}/s (Huddle {kept})", p99, 2, h.kept_up)
            )
        else:
            lines.append(f"  at {rate}/s mod_muc itself fell behind: no latency goal at this rate")
    if HUDDLE in join and MOD_MUC in join:
        lines.append(goal("join time Huddle / mod_muc", join[HUDDLE][0] / join[MOD_MUC][0], 1.5))
    return lines


def summarise_profile(path: Path, top: int = 20) -> list[str]:
    """py-spy's raw (collapsed) stacks: the functions with the most samples on
    the stack (inclusive) and at its top (self)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        # "function (file.py:line)"; lines dropped, so a function counts once.
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            if not any(part in frame for part in BOILERPLATE):
                inclusive[frame] += n
    total = max(1, total)
    lines = [f"{total} samples; self:"]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in own.most_common(top)]
    lines.append("inclusive:")
    lines += [f"  {n / total:6.1%}  {f}" for f, n in inclusive.most_common(top)]
    return lines


# ---------------------------------------------------------------- the runs


async def run_load(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as state:
        async with DevStack(Path(state), start_component=False) as stack:
            with stack.config_path.open("a") as config:
                config.write(UNLIMITED)
            log_path = Path(state) / "component.log"
            component = await start_component(stack, log_path, args.log_level)
            clients: list[RawClient] = []
            try:
                await wait_for_line(log_path, 0, SERVING, component, 60)
                assert stack.prosody.pid is not None
                procs = Procs(stack.prosody.pid, component.pid)
                load = Load()
                sides: dict[str, list[Chat]] = {}
                for side in (MOD_MUC, HUDDLE):
                    sides[side] = await log_in_side(stack, side, args.chats, load)
                    clients += [c for chat in sides[side] for c in chat.members.values()]
                join = {side: await joins(sides[side], procs) for side in sides}
                for client in clients:
                    client.counting = True
                number = 0
                windows: list[Window] = []
                plan = [(args.warmup_rate, args.warmup, False)] if args.warmup else []
                plan += [(rate, args.seconds, True) for rate in args.rates]
                for rate, seconds, counted in plan:
                    for side in (MOD_MUC, HUDDLE):
                        number += 1
                        window = Window(number, side, rate, seconds)
                        load.windows[number] = window
                        spy = None
                        if (
                            args.profile
                            and side == HUDDLE
                            and rate == args.profile_rate
                            and counted
                        ):
                            spy = subprocess.Popen(
                                ["py-spy", "record", "--nonblocking", "--format", "raw",
                                 "--rate", "250", "--pid", str(component.pid),
                                 "--duration", str(int(seconds)), "--output", str(args.profile)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            )  # fmt: skip
                        await offer(window, sides[side], procs, args.drain, args.settle)
                        if spy is not None:
                            await asyncio.to_thread(spy.wait)
                        if counted:
                            windows.append(window)
                        print(
                            f"{side:8} {rate:4}/s: {window.deliveries}/{window.expected} "
                            f"deliveries, p99 {percentile(window.latencies_ns, 0.99) / 1e6:.1f} ms",
                            flush=True,
                        )
                print()
                print("\n".join(report(windows, join, args.chats)))
                if args.profile and args.profile.exists():
                    print()
                    print(f"py-spy, component under {args.profile_rate} msg/s ({args.profile}):")
                    print("\n".join(summarise_profile(args.profile)))
            finally:
                await asyncio.gather(*(c.close() for c in clients))
                await stop_component(component)


async def make_template(stack: DevStack, load: Load, messages: int) -> tuple[str, list[RawClient]]:
    """One real chat, said and heard, whose rows the clones copy: its id and clients."""
    [chat] = await log_in_side(stack, HUDDLE, 1, load)
    for role in ROLES:
        await chat.members[role].join(chat.room, role.capitalize())
    window = Window(1, HUDDLE, messages, 1.0)
    load.windows[1] = window
    for client in chat.members.values():
        client.counting = True
    for n in range(messages):
        role = ("visitor", "agent")[n % 2]
        chat.members[role].write(
            chat.heads[role] + f"1.{time.monotonic_ns()}</body></message>".encode()
        )
        window.sent = n + 1
    window.sending = False
    if window.deliveries >= window.expected:
        window.complete.set()
    await asyncio.wait_for(window.complete.wait(), TIMEOUT)
    return chat.room.split("@")[0], list(chat.members.values())


def clone_chats(database: Path, template: str, count: int) -> None:
    """``count - 1`` copies of the template chat: its chat row, occupants and
    archive, with a new chat id, a new anonymous visitor and new stanza ids."""
    conn = sqlite3.connect(database)
    try:
        (visitor,) = conn.execute(
            "SELECT visitor_jid FROM chats WHERE id = ?", (template,)
        ).fetchone()
        visitor_local = visitor.split("@")[0]
        tables = {}
        for table in ("chats", "occupants", "messages"):
            key = "id" if table == "chats" else "chat_id"
            cur = conn.execute(f"SELECT * FROM {table} WHERE {key} = ?", (template,))
            columns = [d[0] for d in cur.description]
            rows = cur.fetchall()
            if not rows:
                raise SystemExit(f"the template chat has no {table} rows")
            tables[table] = (columns, rows)
        with conn:
            for table, (columns, rows) in tables.items():
                skip = {"id"} if table == "messages" else set()
                keep = [i for i, c in enumerate(columns) if c not in skip]
                names = [columns[i] for i in keep]
                stanza = names.index("stanza_id") if table == "messages" else -1
                marks = ", ".join("?" * len(names))
                sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"

                def copies(
                    rows: list[tuple[object, ...]] = rows,
                    keep: list[int] = keep,
                    stanza: int = stanza,
                ) -> Iterable[tuple[object, ...]]:
                    for n in range(1, count):
                        chat_id = f"chat-{n:032x}"
                        local = str(uuid.UUID(int=n))
                        for row in rows:
                            values = [
                                v.replace(template, chat_id).replace(visitor_local, local)
                                if isinstance(v, str)
                                else v
                                for v in (row[i] for i in keep)
                            ]
                            if stanza >= 0:
                                # A fresh id in the template's own form (uuid or hex).
                                old = str(values[stanza])
                                new = uuid.uuid4()
                                values[stanza] = str(new) if "-" in old else new.hex
                            yield tuple(values)

                conn.executemany(sql, copies())
    finally:
        conn.close()


async def run_open_chats(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as state:
        async with DevStack(Path(state), start_component=False) as stack:
            with stack.config_path.open("a") as config:
                config.write(UNLIMITED)
            log_path = Path(state) / "component.log"
            database = stack.config.database
            component = await start_component(stack, log_path, "info")
            load = Load()
            template_clients: list[RawClient] = []
            try:
                await wait_for_line(log_path, 0, SERVING, component, 60)
                empty = rss_kb(component.pid)["VmRSS"]
                template, template_clients = await make_template(stack, load, args.history)
            finally:
                await stop_component(component)
                # Its clients leave only now, with the component away, so that the
                # template's occupants stay as they were.
                await asyncio.gather(*(c.close() for c in template_clients))
            started = time.monotonic()
            await asyncio.to_thread(clone_chats, database, template, args.open_chat_count)
            print(
                f"cloned {args.open_chat_count} open chats x {args.history} messages in "
                f"{time.monotonic() - started:.1f} s ({database.stat().st_size / 1e6:.0f} MB)",
                flush=True,
            )
            offset = log_path.stat().st_size
            started = time.monotonic()
            component = await start_component(stack, log_path, "info")
            try:
                serving = await wait_for_line(log_path, offset, SERVING, component, 300)
                at_serving = rss_kb(component.pid)
                gone = await wait_for_line(log_path, offset, GONE_LINE, component, 600)
                after_prune = rss_kb(component.pid)
            finally:
                await stop_component(component)
            with log_path.open() as log:
                log.seek(offset)
                restored = [line for line in log if "restored " in line]
            n = args.open_chat_count
            per_chat = (at_serving["VmRSS"] - empty) / n
            rss_mb = at_serving["VmRSS"] / 1024
            start_s = serving - started
            print("\n".join([
                # The last clone's own line (its occupants and history), then the total.
                *(line.strip() for line in restored[-2:]),
                f"component RSS empty {empty / 1024:.0f} MB; with {n} chats at 'serving' "
                f"{rss_mb:.0f} MB (peak {at_serving['VmHWM'] / 1024:.0f} MB), "
                f"{per_chat:.1f} KB per chat",
                f"start to 'serving': {start_s:.2f} s",
                f"then every restored session pinged and (being gone) removed: "
                f"{gone - started:.1f} s from start, RSS {after_prune['VmRSS'] / 1024:.0f} MB "
                f"(peak {after_prune['VmHWM'] / 1024:.0f} MB)",
                "",
                f"{'goal':30} {'measured':>10}  {'limit':>6}  verdict",
                f"  {f'RSS with {n} open chats':28} {rss_mb:7.0f} MB  500 MB  "
                f"{verdict(rss_mb <= 500)}",
                f"  {'restart to serving':28} {start_s:8.2f} s     5 s  {verdict(start_s <= 5)}",
            ]))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=50, help="chats per side (%(default)s)")
    parser.add_argument("--rates", type=int, nargs="+", default=[200, 400, 800], help="msg/s")
    parser.add_argument("--seconds", type=float, default=8.0, help="per rate and side")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per side, not counted")
    parser.add_argument("--warmup-rate", type=int, default=100)
    parser.add_argument("--drain", type=float, default=1.0, help="counted as kept up (s)")
    parser.add_argument("--settle", type=float, default=30.0, help="further wait for the rest (s)")
    parser.add_argument("--log-level", default="info", help="the component's (%(default)s)")
    parser.add_argument("--profile", type=Path, help="py-spy raw output for the component")
    parser.add_argument("--profile-rate", type=int, default=400)
    parser.add_argument("--open-chats", action="store_true", help="the 10,000-chat mode")
    parser.add_argument("--open-chat-count", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=40, help="messages per open chat")
    args = parser.parse_args()
    asyncio.run(run_open_chats(args) if args.open_chats else run_load(args))


if __name__ == "__main__":
    main()
