"""Canned replies: answers saved per team that staff say with ``!r <name>``.

A reply's text may hold ``{visitor}`` (the visitor's name, as she gave it) and
``{agent}`` (the sender's display name). They are filled in one pass, so a name
that itself contains ``{agent}`` is said as it is, never filled in again. No
other braces mean anything: the text is not a format string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

EVERY_TEAM = ""  # a reply saved for team "" serves every team
_PLACEHOLDER = re.compile(r"\{(visitor|agent)\}")


def fill(text: str, visitor: str, agent: str) -> str:
    values = {"visitor": visitor, "agent": agent}
    return _PLACEHOLDER.sub(lambda match: values[match[1]], text)


def for_team(replies: Sequence[tuple[str, str, str]], team: str) -> dict[str, str]:
    """The replies a chat of ``team`` may use, by name, from (team, name, text)
    rows: those for every team, and the team's own, which win on a name."""
    every = {name: text for owner, name, text in replies if owner == EVERY_TEAM}
    own = {name: text for owner, name, text in replies if owner == team}
    return dict(sorted({**every, **own}.items()))


def listing(replies: Mapping[str, str], team: str) -> str:
    """What ``!r`` alone tells the sender: each name and the start of its text."""
    if not replies:
        return f"No canned replies for team {team} yet; an admin adds them."
    lines = [f"Canned replies for team {team} (!r <name> says one):"]
    lines += [f"{name}: {' '.join(text.split())[:60]}" for name, text in replies.items()]
    return "\n".join(lines)
