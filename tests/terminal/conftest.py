"""Fixtures for terminal-client tests: the integration tests' real Prosody and
component (``stack``, ``connect``, ``room``), and Profanity in a private tmux."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.conftest import connect, room, stack
from tests.terminal.profanity import Profanity
from tests.terminal.tmux import Pane

__all__ = ["connect", "profanity", "room", "stack"]


def _require(*programs: str) -> None:
    missing = [name for name in programs if shutil.which(name) is None]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed (scripts/setup.sh installs them)"
    # CI installs them with scripts/setup.sh: missing there is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
async def profanity(tmp_path: Path) -> AsyncIterator[Profanity]:
    _require("profanity", "tmux")
    # A socket path must fit in 108 bytes; pytest's tmp_path for a long test name may not.
    sockets = Path(tempfile.mkdtemp(prefix="huddle-tmux-"))
    client = Profanity(Pane(sockets / "tmux.sock"), tmp_path / "home")
    try:
        await client.start()
        yield client
    finally:
        await client.quit()
        shutil.rmtree(sockets, ignore_errors=True)
