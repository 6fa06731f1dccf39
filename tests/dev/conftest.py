"""Fixtures for tests/dev: a dev Prosody on free ports, and clients that are cleaned up."""

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from slixmpp import ClientXMPP, ComponentXMPP

from component.dev.ports import LOOPBACK, find_free_ports
from component.dev.prosody import ProsodyServer
from tests.dev.dev_clients import disconnect, first_event, login

Login = Callable[..., Awaitable[ClientXMPP]]


@pytest.fixture
async def prosody(tmp_path) -> AsyncIterator[ProsodyServer]:
    server = ProsodyServer(tmp_path / "state", find_free_ports(), "component-secret")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def clients() -> AsyncIterator[list]:
    """Collects every client or component a test connects, and disconnects them after."""
    connected: list = []
    yield connected
    for xmpp in connected:
        await disconnect(xmpp)


@pytest.fixture
def login_to(prosody: ProsodyServer, clients: list) -> Login:
    async def login_to(jid: str, password: str = "", **kwargs) -> ClientXMPP:
        client = await login(jid, password, prosody.ports.c2s, **kwargs)
        clients.append(client)
        return client

    return login_to


@pytest.fixture
def connect_component(prosody: ProsodyServer, clients: list):
    async def connect(secret: str = "component-secret", expect: str = "session_start"):
        component = ComponentXMPP(prosody.service, secret)
        clients.append(component)
        outcome = await first_event(
            component,
            lambda: component.connect(LOOPBACK, prosody.ports.component),
            ["session_start", "disconnected"],
        )
        assert outcome == expect
        return component

    return connect
