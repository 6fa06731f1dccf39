"""Real slixmpp clients for tests against a dev Prosody (a module, so tests can import it)."""

import asyncio
import os
from collections.abc import Callable

from slixmpp import ClientXMPP

TIMEOUT = 10.0


def plain_loopback_client(jid: str, password: str, **kwargs) -> ClientXMPP:
    """A client that logs in with PLAIN over unencrypted loopback c2s (see NOTES.md)."""
    client = ClientXMPP(jid, password, **kwargs)
    client.enable_starttls = False
    client.enable_direct_tls = False
    client.enable_plaintext = True
    client.plugin["feature_mechanisms"].unencrypted_plain = True
    return client


async def first_event(xmpp, connect: Callable[[], object], events: list[str]) -> str:
    """Connect, then return whichever of ``events`` fires first (TimeoutError if none)."""
    loop = asyncio.get_running_loop()
    fired: asyncio.Future[str] = loop.create_future()
    for name in events:
        xmpp.add_event_handler(
            name,
            lambda _data, name=name: fired.done() or fired.set_result(name),
            disposable=True,
        )
    connect()
    return await asyncio.wait_for(fired, TIMEOUT)


async def disconnect(xmpp) -> None:
    if xmpp.transport is not None:
        await asyncio.wait_for(xmpp.disconnect(wait=1.0), TIMEOUT)


async def login(
    jid: str, password: str, port: int, *, expect: str = "session_start", **kwargs
) -> ClientXMPP:
    """Log in on loopback ``port``; asserts the outcome is ``expect``."""
    client = plain_loopback_client(jid, password, **kwargs)
    outcome = await first_event(
        client,
        lambda: client.connect("127.0.0.1", port),
        ["session_start", "failed_all_auth", "connection_failed"],
    )
    if outcome != "session_start":
        await disconnect(client)
    assert outcome == expect, f"{jid}: {outcome}, expected {expect}"
    return client


# What ``dev.json`` holds, exactly (the contract of ``huddle dev`` with tools).
DEV_JSON_KEYS = {
    "c2s_host",
    "c2s_port",
    "service",
    "desk",
    "staff_domain",
    "visitor_domain",
    "staff_upload",
    "visitor_upload",
    "http_url",
    "websocket_url",
    "widget_url",
    "console_url",
    "accounts",
}


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
