"""``huddle dev`` end to end, as a user runs it: a process, its output, and real clients."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket

import pytest

from component.dev.ports import LOOPBACK, find_free_ports, port_is_free
from tests.dev.dev_clients import DEV_JSON_KEYS, process_exists
from tests.integration.client import codes, groupchat_from, presence_from, q
from tests.lifecycle.processes import (
    STARTUP_TIMEOUT,
    STOP_TIMEOUT,
    TIMEOUT,
    processes_with_argument,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def state(tmp_path):
    """The ``--state`` folder; set up before ``spawn``, so torn down after it: a Prosody
    that outlived its ``huddle dev`` (a failed test) is killed by the pid it recorded."""
    folder = tmp_path / "state"
    yield folder
    for pid in processes_with_argument(str(folder / "prosody.cfg.lua")):
        os.kill(pid, signal.SIGKILL)


def disconnected(client) -> asyncio.Future:
    """Resolves when the server drops ``client``; registered at once, so no event is missed."""
    future = asyncio.get_running_loop().create_future()
    client.xmpp.add_event_handler(
        "disconnected", lambda _: future.done() or future.set_result(True), disposable=True
    )
    return future


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_dev_serves_a_chat_and_stops_everything_on_signal(state, spawn, login, sig):
    first = find_free_ports().c2s
    process = await spawn("dev", "--state", str(state), "--ports-from", str(first))
    await process.wait_for_line("ready", timeout=STARTUP_TIMEOUT)

    info = json.loads((state / "dev.json").read_text())
    assert set(info) == DEV_JSON_KEYS
    assert (info["c2s_host"], info["c2s_port"]) == (LOOPBACK, first)
    assert info["http_url"] == f"http://localhost:{first + 2}/"
    assert f"server_port = {first + 1}\n" in (state / "huddle.toml").read_text()
    service, visitor_domain = info["service"], info["visitor_domain"]
    assert service == "support.localhost"
    jennie_account = next(a for a in info["accounts"] if a["jid"] == "jennie@localhost")
    assert jennie_account["role"] == "agent"
    # What it printed and what dev.json holds agree.
    assert f"port {first}" in process.text("stdout")
    assert jennie_account["password"] in process.text("stdout")
    assert info["widget_url"] == f"http://localhost:{first + 2}/chat/"
    assert info["widget_url"] in process.text("stdout")
    assert info["console_url"] in process.text("stdout")
    # How to trust the dev certificate, for clients with no host setting (Dino).
    assert f"cp {state / 'certs' / 'localhost.crt'} /usr/local/share/ca-certificates/" in (
        process.text("stdout")
    )

    prosody_config = str(state / "prosody.cfg.lua")
    prosody_pid = int((state / "prosody.pid").read_text())
    assert processes_with_argument(prosody_config) == [prosody_pid]

    host, port = info["c2s_host"], info["c2s_port"]
    visitor = await login(host, port, visitor_domain)
    assert visitor.xmpp.boundjid.domain == visitor_domain
    room = f"chat-{secrets.token_hex(12)}@{service}"
    joined = await visitor.join(room, "Alice")
    me = next(s for s in joined if s.tag == q("presence") and "110" in codes(s))
    visitor_nick = me.get("from")
    assert visitor_nick.startswith(f"{room}/")

    jennie = await login(host, port, jennie_account["jid"], jennie_account["password"], "t")
    joined = await jennie.join(room, "Jennie")
    assert any(s.get("from") == visitor_nick for s in joined), "jennie is told of the visitor"
    await visitor.expect(presence_from(f"{room}/Jennie"), what="jennie arriving")
    visitor.send(f"<message to='{room}' type='groupchat'><body>hello, anyone?</body></message>")
    await jennie.expect(groupchat_from(visitor_nick, "hello, anyone?"))

    dropped = [disconnected(client) for client in (visitor, jennie)]
    process.send_signal(sig)
    assert await process.wait(STOP_TIMEOUT) == 0, process.output
    # Prosody went down with it: both sessions were dropped by the server.
    await asyncio.wait_for(asyncio.gather(*dropped), TIMEOUT)

    stdout = process.text("stdout")
    assert "Stopping..." in stdout
    assert stdout.splitlines()[-1] == "Stopped: component and Prosody are down.", process.output
    assert "Traceback" not in process.text("stderr"), process.output
    assert not process_exists(prosody_pid)
    assert processes_with_argument(prosody_config) == []
    assert not (state / "dev.json").exists()
    assert all(port_is_free(p) for p in (first, first + 1, first + 2))


async def test_dev_on_busy_ports_fails_and_names_them(state, spawn):
    first = find_free_ports().c2s
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, first + 1))
        squatter.listen()
        process = await spawn("dev", "--state", str(state), "--ports-from", str(first))
        assert await process.wait(STARTUP_TIMEOUT) == 1, process.output
    assert f"[{first + 1}] already in use" in process.text("stderr"), process.output
    assert "Traceback" not in process.text("stderr")
    assert "ready" not in process.text("stdout")
    assert not (state / "dev.json").exists()
    assert processes_with_argument(str(state / "prosody.cfg.lua")) == []
