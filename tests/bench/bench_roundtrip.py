"""Benchmark: groupchat throughput and join cost, Huddle against Prosody's own MUC.

Run on demand (not part of the test suite):

    .venv/bin/python -m tests.bench.bench_roundtrip --rooms 20 --messages 50

One Prosody, started through the same code as ``huddle dev``, serves both
Huddle (``support.localhost``, run as its own ``huddle run`` process, as in
production) and its own MUC (``muc.localhost``); the clients run in this process. In each of
``--rooms`` rooms a visitor and an agent join; the visitor sends ``--messages``
messages; the run ends when every reflection reached the agent. The same load
runs against both services in the same process, and the ratio is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
from pathlib import Path

from component.dev.stack import DevStack
from tests.integration.client import Client, groupchat_from, q

# The load measures throughput, not Huddle's limits: a visitor here sends far faster
# than the rate a real visitor is allowed.
UNLIMITED = """
[limits]
waiting_chats = 1000000
visitor_messages_per_second = 10000.0
visitor_messages_burst = 100000
"""


async def run_load(stack: DevStack, service: str, rooms: int, messages: int) -> tuple[float, float]:
    info = stack.info
    agent_account = next(a for a in info.accounts if a.jid.startswith("jennie@"))
    # Prosody fences anonymous visitors in to the support service: on Prosody's own
    # MUC the visitor is played by a staff-domain account.
    stand_in = next(a for a in info.accounts if a.jid.startswith("josh@"))
    pairs = []
    for _ in range(rooms):
        if service == info.service:
            visitor = await Client.login(info.c2s_host, info.c2s_port, info.visitor_domain)
        else:
            visitor = await Client.login(
                info.c2s_host,
                info.c2s_port,
                stand_in.jid,
                stand_in.password,
                f"bench{secrets.token_hex(4)}",
            )
        agent = await Client.login(
            info.c2s_host,
            info.c2s_port,
            agent_account.jid,
            agent_account.password,
            f"bench{secrets.token_hex(4)}",
        )
        pairs.append((f"chat-{secrets.token_hex(16)}@{service}", visitor, agent))
    started = time.perf_counter()
    for room, visitor, agent in pairs:
        await visitor.join(room, "Visitor")
        await agent.join(room, "Agent")
    joined = time.perf_counter()
    for room, visitor, _ in pairs:
        for n in range(messages):
            visitor.send(f"<message to='{room}' type='groupchat'><body>m{n}</body></message>")

    async def drained(room: str, visitor: Client, agent: Client) -> None:
        sender = next(
            s.get("from")
            for s in visitor.xmpp.stanzas
            if s.tag == q("presence") and s.get("from", "").startswith(room + "/V")
        )
        await agent.expect(groupchat_from(sender, f"m{messages - 1}"), timeout=300)

    await asyncio.gather(*(drained(*pair) for pair in pairs))
    done = time.perf_counter()
    for _, visitor, agent in pairs:
        await visitor.close()
        await agent.close()
    return (joined - started) / (2 * rooms), rooms * messages / (done - joined)


async def wait_connected(stack: DevStack) -> None:
    """Until the component answers a disco query (it connects in the background)."""
    info = stack.info
    probe = await Client.login(info.c2s_host, info.c2s_port, info.visitor_domain)
    try:
        for _ in range(100):
            reply = await probe.iq(
                info.service, "<query xmlns='http://jabber.org/protocol/disco#info'/>"
            )
            if reply.get("type") == "result":
                return
            await asyncio.sleep(0.1)  # not a test: polling a starting process is fine here
        raise SystemExit("the component did not connect")
    finally:
        await probe.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--messages", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        async with DevStack(Path(state), start_component=False) as stack:
            with stack.config_path.open("a") as config:
                config.write(UNLIMITED)
            component = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "component.cli",
                "--log-level",
                "warning",
                "run",
                "--config",
                str(stack.config_path),
            )
            await wait_connected(stack)
            print(f"{args.rooms} rooms x {args.messages} messages, visitor -> agent")
            results = {}
            for name, service in (
                ("prosody muc", stack.prosody.muc_domain),
                ("huddle", stack.info.service),
            ):
                join, rate = await run_load(stack, service, args.rooms, args.messages)
                results[name] = (join, rate)
                print(f"{name:12} join {join * 1000:7.2f} ms/occupant   {rate:9.0f} msg/s")
            (pj, pr), (hj, hr) = results["prosody muc"], results["huddle"]
            print(f"ratio huddle/prosody: throughput {hr / pr:.2f}x, join time {hj / pj:.2f}x")
            component.terminate()
            await component.wait()


if __name__ == "__main__":
    asyncio.run(main())
