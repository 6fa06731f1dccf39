"""``huddle --help`` and ``huddle dev --help``, as a user runs them."""

from __future__ import annotations

import pytest

from tests.lifecycle.processes import huddle

pytestmark = pytest.mark.integration


async def test_top_level_help_lists_the_commands():
    code, out, err = await huddle("--help")
    assert code == 0, err
    assert out.startswith("usage: huddle")
    for command in ("run", "dev", "staff"):
        assert f"    {command} " in out, out
    assert "--log-level" in out
    assert err == ""


async def test_dev_help_documents_ports_and_state():
    code, out, err = await huddle("dev", "--help")
    assert code == 0, err
    assert out.startswith("usage: huddle dev")
    assert "--ports-from N" in out
    assert "N+1 (component)" in out
    assert "--state" in out
    assert err == ""


async def test_no_command_is_a_usage_error():
    code, out, err = await huddle()
    assert code == 2
    assert out == ""
    assert "usage: huddle" in err and "COMMAND" in err
