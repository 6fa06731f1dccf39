"""The component's link to Prosody: back-off and reconnection, in process, with a real Prosody.

Each test has its own Prosody (not the integration tests' shared one): they stop it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets

import pytest

from component.app import FIRST_RETRY, Huddle
from component.config import load_config
from component.dev.stack import DevStack
from tests.dev.dev_clients import process_exists
from tests.integration.client import codes, q
from tests.lifecycle.deploy import SERVICE, VISITOR_DOMAIN
from tests.lifecycle.processes import STARTUP_TIMEOUT, TIMEOUT

pytestmark = pytest.mark.integration

RETRY = re.compile(r"reconnecting in (\d+\.\d) s")


def next_event(xmpp, name: str) -> asyncio.Future:
    """Resolves on the NEXT ``name`` event; registered at once, so none is missed."""
    future = asyncio.get_running_loop().create_future()
    xmpp.add_event_handler(
        name, lambda data: future.done() or future.set_result(data), disposable=True
    )
    return future


def retry_delays(caplog) -> list[float]:
    return [
        float(match[1])
        for record in caplog.records
        if record.name == "component.app" and (match := RETRY.search(record.getMessage()))
    ]


async def visitor_opens_a_chat(login, host: str, port: int) -> None:
    visitor = await login(host, port, VISITOR_DOMAIN)
    room = f"chat-{secrets.token_hex(12)}@{SERVICE}"
    joined = await visitor.join(room, "Alice")
    mine = [s for s in joined if s.tag == q("presence") and "110" in codes(s)]
    assert len(mine) == 1 and mine[0].get("type") is None, "the visitor's self-presence"
    assert mine[0].get("from").startswith(f"{room}/")


async def test_component_reconnects_after_prosody_restarts(tmp_path, login, caplog):
    caplog.set_level(logging.INFO, logger="component.app")
    async with DevStack(tmp_path / "dev") as stack:
        huddle = stack.huddle
        assert huddle is not None
        host, port = stack.info.c2s_host, stack.info.c2s_port
        await visitor_opens_a_chat(login, host, port)

        dropped = next_event(huddle.xmpp, "disconnected")
        reconnected = next_event(huddle.xmpp, "session_start")
        old_pid = stack.prosody.pid
        await stack.prosody.restart()
        assert stack.prosody.pid != old_pid and not process_exists(old_pid)
        await asyncio.wait_for(dropped, TIMEOUT)
        await asyncio.wait_for(reconnected, TIMEOUT)

        assert huddle.xmpp.is_connected()
        # The first retry after a drop waits the shortest delay.
        assert retry_delays(caplog)[0] == FIRST_RETRY
        assert any("link to the server dropped" in r.getMessage() for r in caplog.records)
        # A fresh visitor (the old one went with the old Prosody) is served again.
        await visitor_opens_a_chat(login, host, port)


async def test_component_started_before_prosody_backs_off_and_connects(deploy, login, caplog):
    caplog.set_level(logging.INFO, logger="component.app")
    deployed = deploy(reconnect_max_delay=1.0)
    huddle = Huddle(load_config(deployed.config_path))
    failed = next_event(huddle.xmpp, "connection_failed")
    starting = asyncio.ensure_future(huddle.start(timeout=STARTUP_TIMEOUT))
    try:
        # Three refused attempts, 0.5 s then 1.0 s apart, and the delay stays at the cap.
        for _ in range(3):
            await asyncio.wait_for(failed, TIMEOUT)
            failed = next_event(huddle.xmpp, "connection_failed")
        assert not starting.done()
        assert retry_delays(caplog) == [0.5, 1.0, 1.0]

        await deployed.prosody.start()
        await asyncio.wait_for(starting, TIMEOUT)
        assert huddle.xmpp.is_connected()
        await visitor_opens_a_chat(login, *deployed.c2s)

        # Once connected, the back-off starts over: a drop now retries after 0.5 s again.
        caplog.clear()
        reconnected = next_event(huddle.xmpp, "session_start")
        await deployed.prosody.restart()
        await asyncio.wait_for(reconnected, TIMEOUT)
        assert retry_delays(caplog)[0] == FIRST_RETRY
    finally:
        if not starting.done():
            starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        await huddle.stop()


async def test_chats_go_on_after_a_prosody_restart(tmp_path, login):
    """Every session died with the old Prosody: once reconnected the component
    drops them, so the visitor, back with a new anonymous JID, takes their seat
    again and finds the conversation where it was."""
    async with DevStack(tmp_path / "dev") as stack:
        huddle = stack.huddle
        assert huddle is not None
        host, port = stack.info.c2s_host, stack.info.c2s_port
        jennie_account = next(a for a in stack.info.accounts if a.jid.startswith("jennie@"))
        room = f"chat-{secrets.token_hex(12)}@{SERVICE}"
        visitor = await login(host, port, VISITOR_DOMAIN)
        await visitor.join(room, "Alice")
        jennie = await login(host, port, jennie_account.jid, jennie_account.password, "desk")
        await jennie.join(room, "Jennie")
        visitor.send(f"<message to='{room}' type='groupchat'><body>before</body></message>")
        await jennie.expect(
            lambda s: s.find(q("body")) is not None and s.find(q("body")).text == "before"
        )

        reconnected = next_event(huddle.xmpp, "session_start")
        await stack.prosody.restart()
        await asyncio.wait_for(reconnected, TIMEOUT)
        await asyncio.wait_for(huddle.live.wait(), TIMEOUT)

        back = await login(host, port, VISITOR_DOMAIN)
        got = await back.join(room, "Alice")
        assert "110" in codes(next(s for s in got if s.get("from") == f"{room}/Alice (visitor)"))
        bodies = [s.find(q("body")).text for s in got if s.find(q("body")) is not None]
        assert "before" in bodies
        jennie = await login(host, port, jennie_account.jid, jennie_account.password, "desk2")
        await jennie.join(room, "Jennie")
        back.send(f"<message to='{room}' type='groupchat'><body>after</body></message>")
        await jennie.expect(
            lambda s: s.find(q("body")) is not None and s.find(q("body")).text == "after"
        )
