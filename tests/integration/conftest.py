"""A real Prosody and the real component, started once for the integration tests
through the same code as ``huddle dev``; fresh clients per test."""

from __future__ import annotations

import dataclasses
import itertools
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from component.dev.stack import DevStack
from tests.integration.client import Client
from tests.integration.desk_helpers import close_all_chats
from tests.integration.people import DEMO, login_stranger

_rooms = itertools.count(1)


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevStack]:
    async with DevStack(tmp_path_factory.mktemp("huddle-dev")) as running:
        yield running


@pytest.fixture
async def connect(stack: DevStack) -> AsyncIterator[Callable[..., Awaitable[Client]]]:
    """``await connect("jennie")`` logs in a demo staff member; ``connect()`` a visitor."""
    clients: list[Client] = []
    info = stack.info

    async def login(user: str | None = None, resource: str = "") -> Client:
        if user is None:
            client = await Client.login(info.c2s_host, info.c2s_port, info.visitor_domain)
        else:
            account = next(a for a in info.accounts if a.jid.startswith(f"{user}@"))
            client = await Client.login(
                info.c2s_host,
                info.c2s_port,
                account.jid,
                account.password,
                resource or f"test{secrets.token_hex(3)}",
            )
        clients.append(client)
        return client

    yield login
    for client in clients:
        await client.close()


@pytest.fixture
async def login(stack: DevStack, connect) -> AsyncIterator[Callable[[str], Awaitable[Client]]]:
    """``await login("supervisor")``: a client playing a role of ``people.ROLES``."""
    strangers: list[Client] = []

    async def as_role(who: str) -> Client:
        if who == "stranger":
            strangers.append(await login_stranger(stack))
            return strangers[-1]
        return await connect(None if who == "visitor" else DEMO[who])

    yield as_role
    for client in strangers:
        await client.close()


@pytest.fixture
def room(stack: DevStack) -> str:
    """A fresh chat room address for this test."""
    return f"chat-{secrets.token_hex(12)}{next(_rooms)}@{stack.info.service}"


@pytest.fixture
async def desk(stack: DevStack) -> str:
    """The desk's address, with no chats left open by earlier tests: queue places
    and routing start from an empty line."""
    await close_all_chats(stack)
    return stack.info.desk


@pytest.fixture
def whisper_mode(stack: DevStack) -> Iterator[None]:
    """``chat.supervisor_speech = "whisper"`` for this test: hidden staff's plain
    messages stay staff-only."""
    huddle = stack.huddle
    assert huddle is not None
    muc = huddle.muc
    original = muc.config
    muc.config = dataclasses.replace(original, supervisor_speech="whisper")
    yield
    muc.config = original
