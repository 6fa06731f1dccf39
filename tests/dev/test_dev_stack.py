"""DevStack and ``run_dev`` up to, not including, the component (start_component=False)."""

import asyncio
import json
import signal
import sys
from pathlib import Path

import pytest

from component.config import load_config
from component.dev.ports import PortsError, find_free_ports, port_is_free
from component.dev.stack import DevStack
from storage.database import open_database
from storage.staff import StaffDirectory, StaffMember
from tests.dev.dev_clients import DEV_JSON_KEYS, TIMEOUT, disconnect, login, process_exists

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


async def test_stack_without_component(tmp_path):
    state = tmp_path / "dev"
    lines: list[str] = []
    async with DevStack(state, start_component=False, progress=lines.append) as stack:
        info = json.loads((state / "dev.json").read_text())
        assert set(info) == DEV_JSON_KEYS
        assert info == stack.info.to_json()
        assert info["service"] == "support.localhost"
        assert info["desk"] == "desk@support.localhost"
        assert info["staff_domain"] == "localhost"
        assert info["visitor_domain"] == "guest.localhost"
        assert info["staff_upload"] == "upload.localhost"
        assert info["visitor_upload"] == "upload.guest.localhost"
        http = stack.prosody.ports.http
        assert info["http_url"] == f"http://localhost:{http}/"
        assert info["websocket_url"] == f"ws://localhost:{http}/xmpp-websocket"
        assert (info["c2s_host"], info["c2s_port"]) == ("127.0.0.1", stack.prosody.ports.c2s)
        assert [(a["jid"], a["role"], a["team"], a["name"]) for a in info["accounts"]] == [
            ("jennie@localhost", "agent", "support", "Jennie"),
            ("josh@localhost", "agent", "accounts", "Josh"),
            ("john@localhost", "supervisor", "accounts", "John"),
            ("admin@localhost", "admin", "support", "Admin"),
        ]
        assert stack.huddle is None

        config = load_config(state / "huddle.toml")
        assert config == stack.config
        assert config.service == "support.localhost"
        assert config.secret == stack.prosody.secret
        assert (config.server_host, config.server_port) == (
            "127.0.0.1",
            stack.prosody.ports.component,
        )
        assert config.staff_domains == ("localhost",)
        assert config.visitor_domains == ("guest.localhost",)
        assert config.database == state.resolve() / "huddle.sqlite"

        for account in info["accounts"]:
            client = await login(account["jid"], account["password"], info["c2s_port"])
            await disconnect(client)
        pid = stack.prosody.pid

    assert any(line.startswith("Starting Prosody on ports") for line in lines)
    assert "Registered jennie@localhost (agent, team support)" in lines
    assert pid is not None and not process_exists(pid)
    assert not (state / "dev.json").exists()
    async with await open_database(config.database) as db:
        staff = await StaffDirectory(db).list()
    assert {(m.jid, m.role, m.team, m.name) for m in staff} == {
        (a["jid"], a["role"], a["team"], a["name"]) for a in info["accounts"]
    }


async def test_rerun_on_the_same_state_dir(tmp_path):
    state = tmp_path / "dev"
    ports = find_free_ports()
    async with DevStack(state, ports.c2s, start_component=False) as first:
        old = first.info
    async with await open_database(state / "huddle.sqlite") as db:
        # Someone changed a demo account meanwhile; the rerun restores it.
        await StaffDirectory(db).update(
            StaffMember("josh@localhost", "admin", "sales", "Joshua", max_chats=9)
        )
        await StaffDirectory(db).add(StaffMember("extra@localhost", "agent", "sales", "Extra"))
    async with DevStack(state, ports.c2s, start_component=False) as second:
        new = second.info
        assert new.c2s_port == old.c2s_port
        assert second.config.secret != first.config.secret
        old_jennie, new_jennie = old.accounts[0], new.accounts[0]
        assert new_jennie.password != old_jennie.password
        await login(new_jennie.jid, old_jennie.password, new.c2s_port, expect="failed_all_auth")
        await disconnect(await login(new_jennie.jid, new_jennie.password, new.c2s_port))
        async with await open_database(second.config.database) as db:
            directory = StaffDirectory(db)
            assert await directory.get("josh@localhost") == StaffMember(
                "josh@localhost", "agent", "accounts", "Josh"
            )
            assert await directory.get("extra@localhost") is not None


async def test_busy_ports_fail_cleanly(tmp_path):
    ports = find_free_ports()
    async with DevStack(tmp_path / "a", ports.c2s, start_component=False):
        with pytest.raises(PortsError, match="already in use"):
            async with DevStack(tmp_path / "b", ports.c2s, start_component=False):
                pass
    assert all(port_is_free(port) for port in ports.all())


async def read_until(stream: asyncio.StreamReader, needle: str, seen: list[str]) -> None:
    while True:
        raw = await stream.readline()
        if not raw:
            raise AssertionError(f"output ended before {needle!r}:\n" + "".join(seen))
        seen.append(raw.decode())
        if needle in seen[-1]:
            return


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_run_dev_until_signal(tmp_path, sig):
    state = tmp_path / "dev"
    code = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from component.dev.command import run_dev\n"
        f"sys.exit(asyncio.run(run_dev(Path({str(state)!r}), None, start_component=False)))\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    seen: list[str] = []
    try:
        await asyncio.wait_for(read_until(process.stdout, "ready", seen), TIMEOUT * 3)
        output = "".join(seen)
        assert "Starting Prosody on ports" in output
        assert "Registered jennie@localhost" in output
        info = json.loads((state / "dev.json").read_text())
        for account in info["accounts"]:
            assert f"{account['jid']}" in output and account["password"] in output
        assert f"port {info['c2s_port']}" in output
        assert "support.localhost" in output
        assert "self-signed" in output
        prosody_pid = int((state / "prosody.pid").read_text())
        assert process_exists(prosody_pid)
        process.send_signal(sig)
        rest, _ = await asyncio.wait_for(process.communicate(), TIMEOUT * 3)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, output + rest.decode()
    assert "Stopped" in rest.decode()
    assert not process_exists(prosody_pid)
    assert not (state / "dev.json").exists()


async def test_run_dev_reports_busy_ports(tmp_path, capsys):
    from component.dev.command import run_dev

    ports = find_free_ports()
    async with DevStack(tmp_path / "a", ports.c2s, start_component=False):
        assert await run_dev(tmp_path / "b", ports.c2s, start_component=False) == 1
    assert "already in use" in capsys.readouterr().err
