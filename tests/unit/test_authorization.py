"""The whole authorization table, written out (DESIGN §2): a change to who may
do what must change this file too."""

from __future__ import annotations

from typing import get_args

import pytest

from roles.authorization import Action, Who, may

AGENT = {
    "whisper",
    "say",
    "reveal",
    "hide",
    "help",
    "info",
    "invite",
    "transfer",
    "close",
    "list-chats",
    "stats",
    "canned-reply",
}
SUPERVISOR = AGENT | {"take", "supervise", "coach"}
ADMIN = SUPERVISOR | {"manage-staff", "manage-canned", "read-audit"}
TABLE: dict[str, set[str]] = {
    "visitor": set(),
    "stranger": set(),
    "agent": AGENT,
    "supervisor": SUPERVISOR,
    "admin": ADMIN,
}


def test_the_table_covers_every_action_and_everyone():
    assert set(get_args(Who)) == set(TABLE)
    assert set(get_args(Action)) == ADMIN  # admins may do everything there is


@pytest.mark.parametrize("who", sorted(TABLE))
@pytest.mark.parametrize("action", sorted(get_args(Action)))
def test_may(who, action):
    assert may(who, action) is (action in TABLE[who])


@pytest.mark.parametrize("who", ["", "Admin", "ADMIN", "owner", "moderator", "admin "])
def test_nobody_else_may_do_anything(who):
    """Roles are exact strings from the staff directory; nothing else matches."""
    assert not any(may(who, action) for action in get_args(Action))
