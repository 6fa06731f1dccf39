"""Fixtures for desktop-client tests: the integration tests' real Prosody and
component (``stack``, ``connect``), and Gajim under Xvfb (``gajim``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable

import pytest

from component.dev.stack import DevStack
from tests.clients.gajim import SYSTEM_PATH, Gajim, GajimAccount
from tests.integration.conftest import connect, stack

__all__ = ["connect", "gajim", "stack"]

GAJIM_PROGRAMS = ("Xvfb", "gajim", "dbus-run-session", "xdotool", "import")


def require(*programs: str) -> None:
    path = f"{os.environ.get('PATH', '')}:{SYSTEM_PATH}"
    missing = [name for name in programs if shutil.which(name, path=path) is None]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed (scripts/setup.sh installs them)"
    # CI installs them with scripts/setup.sh: missing there is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def account_of(stack: DevStack, user: str) -> GajimAccount:
    info = stack.info
    account = next(a for a in info.accounts if a.jid == f"{user}@{info.staff_domain}")
    return GajimAccount(
        jid=account.jid,
        password=account.password,
        host=info.c2s_host,
        port=info.c2s_port,
        certificate=stack.prosody.certificate().cert,
    )


@pytest.fixture(scope="module")
def gajim_installed() -> None:
    # As root, Gajim runs as a user of its own (tests/clients/gajim.py).
    require(*GAJIM_PROGRAMS, *(("runuser", "useradd") if os.geteuid() == 0 else ()))


@pytest.fixture(scope="module")
async def gajim(gajim_installed: None, stack: DevStack) -> AsyncIterator[Callable[[str], Gajim]]:
    """``gajim("jennie")``: a Gajim with a prepared profile for a demo staff
    account, not started yet. Every one is stopped when the module ends, after a
    last screenshot; its log and logs.db stay in test-artifacts/clients/."""
    made: list[Gajim] = []

    def new(user: str) -> Gajim:
        client = Gajim(account_of(stack, user))
        made.append(client)
        return client

    yield new
    for client in made:
        try:
            if client.running:
                await client.screenshot("end")
        finally:
            try:
                await client.stop()
            finally:
                client.cleanup()
