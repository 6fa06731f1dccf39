import asyncio
import socket
import subprocess
import urllib.request

import pytest

from component.dev.ports import LOOPBACK, find_free_ports, port_is_free
from component.dev.prosody import ProsodyError, ProsodyServer
from tests.dev.dev_clients import (
    TIMEOUT,
    disconnect,
    first_event,
    login,
    plain_loopback_client,
    process_exists,
)

pytestmark = pytest.mark.integration


async def test_generated_config_passes_prosodyctl_check(tmp_path):
    server = ProsodyServer(tmp_path, find_free_ports(), "secret")
    config = server.write_config()
    result = subprocess.run(
        ["prosodyctl", "--config", str(config), "check", "config"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_the_visitor_fence_is_written_for_the_servers_own_hosts(tmp_path):
    server = ProsodyServer(
        tmp_path, find_free_ports(), "secret",
        visitor_domain="anon.example.test", service="help.example.test",
    )  # fmt: skip
    config = server.write_config().read_text()
    rules = server.fence_path.read_text()
    assert f'firewall_scripts = {{ "{server.fence_path}" }}' in config
    assert "%ZONE huddle_service: help.example.test" in rules
    assert "TO: anon.example.test" in rules and "FROM: anon.example.test" in rules
    assert "guest.localhost" not in rules and "support.localhost" not in rules
    # mod_firewall's own compiler accepts them.
    result = subprocess.run(
        ["prosodyctl", "--config", str(server.config_path), "mod_firewall", str(server.fence_path)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Chain preroute" in result.stdout and "Chain deliver" in result.stdout


async def test_new_visitor_connections_per_address_are_capped(tmp_path, clients):
    server = ProsodyServer(tmp_path, find_free_ports(), "secret", visitor_logins=3)
    await server.register("jennie", "localhost", "pw")
    await server.start()
    try:
        for _ in range(3):
            clients.append(
                await login("guest.localhost", "", server.ports.c2s, sasl_mech="ANONYMOUS")
            )
        refused = plain_loopback_client("guest.localhost", "", sasl_mech="ANONYMOUS")
        clients.append(refused)
        errors: list = []
        refused.add_event_handler("stream_error", errors.append)
        outcome = await first_event(
            refused,
            lambda: refused.connect(LOOPBACK, server.ports.c2s),
            ["session_start", "stream_error"],
        )
        assert outcome == "stream_error"
        assert errors[0]["condition"] == "policy-violation"
        # Staff connect to another host, which keeps no count.
        clients.append(await login("jennie@localhost", "pw", server.ports.c2s))
    finally:
        await server.stop()


async def test_user_registered_before_start_logs_in(tmp_path):
    server = ProsodyServer(tmp_path, find_free_ports(), "secret")
    await server.register("jennie", "localhost", "early-pw")
    await server.start()
    try:
        client = await login("jennie@localhost", "early-pw", server.ports.c2s)
        assert client.boundjid.bare == "jennie@localhost"
        await disconnect(client)
    finally:
        await server.stop()


async def test_user_registered_while_running_logs_in(prosody, login_to):
    await prosody.register("josh", "localhost", "pw-1")
    client = await login_to("josh@localhost", "pw-1")
    assert client.boundjid.bare == "josh@localhost"


async def test_wrong_password_is_refused(prosody, login_to):
    await prosody.register("josh", "localhost", "right")
    await login_to("josh@localhost", "wrong", expect="failed_all_auth")


async def test_register_again_resets_the_password(prosody, login_to):
    await prosody.register("john", "localhost", "old")
    await prosody.register("john", "localhost", "new")
    await login_to("john@localhost", "old", expect="failed_all_auth")
    await login_to("john@localhost", "new")


async def test_register_on_unknown_host_fails(prosody):
    with pytest.raises(ProsodyError, match=r"prosodyctl register x@nowhere\.example failed"):
        await prosody.register("x", "nowhere.example", "pw")


async def test_anonymous_login_on_visitor_domain(prosody, login_to):
    client = await login_to("guest.localhost", sasl_mech="ANONYMOUS")
    assert client.boundjid.domain == "guest.localhost"
    assert client.boundjid.user  # Prosody made up a local part


async def test_anonymous_login_on_staff_domain_is_refused(prosody, login_to):
    await login_to("localhost", sasl_mech="ANONYMOUS", expect="failed_all_auth")


async def test_component_connects_with_the_secret(prosody, connect_component):
    component = await connect_component()
    assert component.boundjid.bare == "support.localhost"


async def test_component_with_wrong_secret_is_refused(prosody, connect_component):
    await connect_component("not-the-secret", expect="disconnected")


async def test_second_component_connection_replaces_the_first(prosody, connect_component):
    old = await connect_component()
    gone = asyncio.ensure_future(old.wait_until("disconnected", TIMEOUT))
    await connect_component()
    await gone


async def test_message_reaches_the_component(prosody, login_to, connect_component):
    component = await connect_component()
    received: asyncio.Queue = asyncio.Queue()
    component.add_event_handler("message", received.put_nowait)
    await prosody.register("jennie", "localhost", "pw")
    client = await login_to("jennie@localhost", "pw")
    client.send_message(mto="desk@support.localhost", mbody="hello component")
    message = await asyncio.wait_for(received.get(), TIMEOUT)
    assert message["body"] == "hello component"
    assert message["from"].bare == "jennie@localhost"


async def test_prosody_muc_rooms_are_unlocked_on_creation(prosody, login_to):
    await prosody.register("a", "localhost", "pw")
    await prosody.register("b", "localhost", "pw")
    room = "bench@muc.localhost"
    first = await login_to("a@localhost", "pw")
    second = await login_to("b@localhost", "pw")
    for client in (first, second):
        client.register_plugin("xep_0045")
    await first.plugin["xep_0045"].join_muc_wait(room, "A", timeout=TIMEOUT, maxchars=0)
    # With room locking the second join would fail until the owner configured it.
    await second.plugin["xep_0045"].join_muc_wait(room, "B", timeout=TIMEOUT, maxchars=0)


async def test_static_files_are_served_under_chat(prosody):
    (prosody.www_dir / "index.html").write_text("<p>widget</p>")

    def fetch(host: str) -> tuple[int, bytes]:
        url = f"http://{host}:{prosody.ports.http}/chat/index.html"
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.status, response.read()

    assert await asyncio.to_thread(fetch, "localhost") == (200, b"<p>widget</p>")
    # 127.0.0.1 names no VirtualHost; http_default_host sends it to the staff host.
    assert await asyncio.to_thread(fetch, "127.0.0.1") == (200, b"<p>widget</p>")


async def test_websocket_endpoint_is_served(prosody):
    def fetch() -> bytes:
        url = f"http://localhost:{prosody.ports.http}/xmpp-websocket"
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.read()

    # A plain GET (no Upgrade) gets Prosody's websocket info page.
    assert b"websocket" in (await asyncio.to_thread(fetch)).lower()


async def test_stop_leaves_no_process_and_frees_the_ports(tmp_path):
    server = ProsodyServer(tmp_path, find_free_ports(), "secret")
    await server.start()
    pid = server.pid
    assert pid is not None and process_exists(pid)
    await server.stop()
    assert not process_exists(pid)
    assert server.pid is None and not server.running
    assert all(port_is_free(port) for port in server.ports.all())
    await server.stop()  # stopping twice is harmless


async def test_restart_serves_again_on_the_same_ports(prosody, login_to):
    await prosody.register("jennie", "localhost", "pw")
    client = await login_to("jennie@localhost", "pw")
    dropped = asyncio.ensure_future(client.wait_until("disconnected", TIMEOUT))
    old_pid = prosody.pid
    await prosody.restart()
    await dropped
    assert prosody.pid != old_pid
    assert old_pid is not None and not process_exists(old_pid)
    await login_to("jennie@localhost", "pw")


async def test_start_refuses_ports_in_use(tmp_path):
    ports = find_free_ports()
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind((LOOPBACK, ports.component))
        squatter.listen()
        server = ProsodyServer(tmp_path, ports, "secret")
        with pytest.raises(ProsodyError, match=rf"\[{ports.component}\] are already in use"):
            await server.start()
    assert server.pid is None


async def test_early_exit_raises_with_the_log_tail(tmp_path):
    broken = tmp_path / "broken.cfg.lua.in"
    broken.write_text('pidfile = "$pidfile"\nthis is not lua\n')
    server = ProsodyServer(tmp_path / "state", find_free_ports(), "secret", template=broken)
    with pytest.raises(ProsodyError, match="exited with status 1") as info:
        await server.start()
    assert "A problem occurred while reading the config file" in str(info.value)
    assert server.pid is None


async def test_errors_logged_while_starting_fail_the_start(tmp_path):
    server = ProsodyServer(tmp_path, find_free_ports(), "secret")
    # Prosody logs this and keeps running (its shutdown call fails mid-startup).
    server.pid_path.mkdir(parents=True)
    with pytest.raises(ProsodyError, match=r"logged errors while starting: .*pidfile") as info:
        await server.start()
    assert "Is a directory" in str(info.value)
    assert server.pid is None
    assert all(port_is_free(port) for port in server.ports.all())


async def test_log_is_kept_across_restarts(prosody):
    await prosody.restart()
    assert prosody.log_path.read_text().count("Hello and welcome to Prosody") == 2
