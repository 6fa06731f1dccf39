"""Fixtures for lifecycle tests: every process, Prosody and client a test starts is
stopped at teardown, also when the test fails halfway."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.integration.client import Client
from tests.lifecycle.deploy import Deployment
from tests.lifecycle.processes import TIMEOUT, HuddleProcess

Spawn = Callable[..., Awaitable[HuddleProcess]]
Login = Callable[..., Awaitable[Client]]


@pytest.fixture
async def spawn() -> AsyncIterator[Spawn]:
    """``await spawn("run", "--config", path, env={...})`` starts ``huddle run …``."""
    started: list[HuddleProcess] = []

    async def start(*args: str, env: dict[str, str] | None = None) -> HuddleProcess:
        process = await HuddleProcess.start(*args, env=env)
        started.append(process)
        return process

    yield start
    for process in started:
        await process.stop()


async def close_client(client: Client) -> None:
    """Log out, unless the server already dropped the session."""
    if client.xmpp.transport is None:
        return
    with contextlib.suppress(TimeoutError, OSError):
        await asyncio.wait_for(client.close(), TIMEOUT)


@pytest.fixture
async def login() -> AsyncIterator[Login]:
    """``await login(host, port, jid, password="", resource="")``: a recorded test client."""
    clients: list[Client] = []

    async def log_in(host: str, port: int, jid: str, password: str = "", resource: str = ""):
        client = await Client.login(host, port, jid, password, resource)
        clients.append(client)
        return client

    yield log_in
    for client in clients:
        await close_client(client)


@pytest.fixture
async def deploy(tmp_path) -> AsyncIterator[Callable[..., Deployment]]:
    """``deploy(**options)``: a Huddle config file and a matching Prosody, not yet started.

    Options are those of ``Deployment``; every Prosody is stopped at teardown.
    """
    made: list[Deployment] = []

    def make(**options: object) -> Deployment:
        deployed = Deployment(tmp_path / f"deploy{len(made)}", **options)  # type: ignore[arg-type]
        made.append(deployed)
        return deployed

    yield make
    for deployed in made:
        await deployed.prosody.stop()
