"""``huddle run --config FILE`` as a real process against a real Prosody.

The production path: an admin-written TOML (secret from the environment), staff
added with ``huddle staff add``, then SIGTERM as a service manager sends it.
"""

from __future__ import annotations

import re
import secrets
import signal
from pathlib import Path

import pytest

from tests.integration.client import codes, error_condition, groupchat_from, presence_from, q
from tests.lifecycle.deploy import SERVICE, STAFF_DOMAIN, VISITOR_DOMAIN
from tests.lifecycle.processes import STARTUP_TIMEOUT, STOP_TIMEOUT, huddle

pytestmark = pytest.mark.integration

SECRET_ENV = "HUDDLE_LIFECYCLE_SECRET"


def new_room() -> str:
    return f"chat-{secrets.token_hex(12)}@{SERVICE}"


def self_presence(stanzas, room: str):
    mine = [s for s in stanzas if s.tag == q("presence") and "110" in codes(s)]
    assert len(mine) == 1, f"expected one self-presence from {room}"
    return mine[0]


async def staff_add(deployed, jid: str, name: str, role: str = "agent") -> None:
    args = ("add", jid, "--name", name, "--role", role)
    code, out, err = await huddle(
        "staff", "--config", str(deployed.config_path), *args, env=deployed.env
    )
    assert code == 0, err
    assert out.startswith(f"added {jid} ")


async def test_run_serves_chats_and_stops_on_sigterm(deploy, spawn, login):
    deployed = deploy(secret_env=SECRET_ENV)
    prosody = deployed.prosody
    passwords = {user: secrets.token_urlsafe(9) for user in ("jennie", "john")}
    for user, password in passwords.items():
        await prosody.register(user, STAFF_DOMAIN, password)
    await staff_add(deployed, f"jennie@{STAFF_DOMAIN}", "Jennie")
    await prosody.start()

    process = await spawn("run", "--config", str(deployed.config_path), env=deployed.env)
    port = deployed.ports.component
    await process.wait_for_line(
        f"connected to 127.0.0.1:{port} as {SERVICE}", "stderr", STARTUP_TIMEOUT
    )
    await process.wait_for_line(f"serving {SERVICE}", "stderr")
    # storage.path is relative to the config file, wherever the process runs.
    assert (deployed.directory / "huddle.sqlite").exists()

    host, c2s = deployed.c2s
    room = new_room()
    visitor = await login(host, c2s, VISITOR_DOMAIN)
    me = self_presence(await visitor.join(room, "Alice"), room)
    visitor_nick = me.get("from")
    assert visitor_nick.startswith(f"{room}/") and visitor_nick.endswith("(visitor)")

    # Jennie was added with the CLI before the start: the process knows her name.
    jennie = await login(host, c2s, f"jennie@{STAFF_DOMAIN}", passwords["jennie"], "desk")
    assert self_presence(await jennie.join(room, "whatever"), room).get("from") == f"{room}/Jennie"
    await visitor.expect(presence_from(f"{room}/Jennie"), what="the agent's arrival")

    # John is added while it runs (the README's order): the running process sees it,
    # and as a supervisor he may join the chat (hidden from the visitor).
    await staff_add(deployed, f"john@{STAFF_DOMAIN}", "John", "supervisor")
    john = await login(host, c2s, f"john@{STAFF_DOMAIN}", passwords["john"], "desk")
    assert self_presence(await john.join(room, "whatever"), room).get("from") == f"{room}/John"

    visitor.send(f"<message to='{room}' type='groupchat'><body>my order is late</body></message>")
    await jennie.expect(groupchat_from(visitor_nick, "my order is late"))

    process.send_signal(signal.SIGTERM)
    assert await process.wait(STOP_TIMEOUT) == 0, process.output
    log = process.text("stderr")
    assert "huddle: stopping" in log
    assert "component.app: stopped" in log.splitlines()[-1], process.output
    assert "Traceback" not in log and "ERROR" not in log, process.output

    # The link is really gone: Prosody now bounces what is sent to the service.
    visitor.send(f"<message to='{room}' type='groupchat' id='after'><body>hello?</body></message>")
    bounce = await visitor.expect(
        lambda s: s.tag == q("message") and s.get("id") == "after", what="the bounce"
    )
    assert error_condition(bounce) == "wait/remote-server-timeout"


async def test_sigterm_while_the_link_is_down_stops_at_once(deploy, spawn):
    deployed = deploy()
    await deployed.prosody.start()
    process = await spawn("run", "--config", str(deployed.config_path))
    await process.wait_for_line("serving", "stderr", STARTUP_TIMEOUT)

    await deployed.prosody.stop()
    await process.wait_for_line("link to the server dropped", "stderr")
    await process.wait_for_line("reconnecting in 0.5 s", "stderr")
    process.send_signal(signal.SIGTERM)
    assert await process.wait(STOP_TIMEOUT) == 0, process.output
    assert "component.app: stopped" in process.text("stderr"), process.output


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_signal_while_waiting_for_prosody_stops_at_once(deploy, spawn, sig):
    # Prosody is not started: the component keeps retrying until its start timeout
    # (30 s). A signal meanwhile must end it now, not when that runs out.
    deployed = deploy()
    process = await spawn("run", "--config", str(deployed.config_path))
    await process.wait_for_line("cannot reach", "stderr", STARTUP_TIMEOUT)
    await process.wait_for_line("reconnecting in", "stderr")
    process.send_signal(sig)
    assert await process.wait(STOP_TIMEOUT) == 0, process.output
    log = process.text("stderr")
    assert "component.app: stopped" in log, process.output
    assert "could not connect" not in log and "Traceback" not in log, process.output


def troubleshooting_lines(symptom_start: str) -> list[str]:
    """The log lines ADMIN.md §13 quotes for a symptom, word for word."""
    guide = (Path(__file__).parents[2] / "prosody-config" / "ADMIN.md").read_text()
    (row,) = [line for line in guide.splitlines() if line.startswith(f"| {symptom_start}")]
    symptom = row.split(" | ")[0]
    commands = ("journalctl", "systemctl", "prosodyctl")
    return [q for q in re.findall(r"`([^`]+)`", symptom) if " " in q and not q.startswith(commands)]


async def test_the_guide_quotes_the_logs_of_a_wrong_secret_word_for_word(deploy, spawn):
    deployed = deploy(secret_env=SECRET_ENV)
    await deployed.prosody.start()
    process = await spawn(
        "run", "--config", str(deployed.config_path), env={SECRET_ENV: "not-the-secret"}
    )
    assert await process.wait(STARTUP_TIMEOUT + STOP_TIMEOUT) == 1, process.output
    port = deployed.ports.component
    logs = process.text("stderr") + deployed.prosody.log_path.read_text()
    quoted = troubleshooting_lines("Huddle's log (`journalctl -u huddle`) says `stream error")
    assert len(quoted) == 3, quoted
    for line in quoted:
        expected = line.replace("127.0.0.1:5347", f"127.0.0.1:{port}").replace(
            "support.example.org", SERVICE
        )
        assert expected in logs, f"ADMIN.md quotes {line!r}, not in the logs"
