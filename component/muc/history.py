"""Discussion history on join (XEP-0045 §7.2.13): maxstanzas, maxchars, seconds, since."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

from roles.effects import Said

NS_MUC = "http://jabber.org/protocol/muc"
DEFAULT_MAXSTANZAS = 20
# Larger values mean "everything" anyway; capping them keeps the arithmetic in
# range (a 400-digit ``seconds`` would overflow a float).
LARGEST = 10**10


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    maxstanzas: int | None = None
    maxchars: int | None = None
    seconds: int | None = None
    since: float | None = None


def _int(value: str | None) -> int | None:
    try:
        return min(LARGEST, max(0, int(value))) if value is not None else None
    except ValueError:
        return None


def _since(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError):
        return None


def parse_history_request(x: ET.Element | None) -> HistoryRequest:
    history = x.find(f"{{{NS_MUC}}}history") if x is not None else None
    if history is None:
        return HistoryRequest()
    return HistoryRequest(
        maxstanzas=_int(history.get("maxstanzas")),
        maxchars=_int(history.get("maxchars")),
        seconds=_int(history.get("seconds")),
        since=_since(history.get("since")),
    )


def select_history(
    entries: Sequence[Said],
    request: HistoryRequest,
    now: float,
    size_of: Callable[[Said], int],
) -> list[Said]:
    """The newest entries that satisfy every limit, oldest first."""
    if request.maxstanzas is not None:
        limit = request.maxstanzas
    elif request.maxchars is None and request.seconds is None and request.since is None:
        limit = DEFAULT_MAXSTANZAS
    else:
        limit = len(entries)
    oldest = -1.0
    if request.seconds is not None:
        oldest = now - request.seconds
    if request.since is not None:
        oldest = max(oldest, request.since)
    chosen: list[Said] = []
    chars = 0
    for said in reversed(entries):
        if len(chosen) >= limit or said.stamp < oldest:
            break
        if request.maxchars is not None:
            chars += size_of(said)
            if chars > request.maxchars:
                break
        chosen.append(said)
    chosen.reverse()
    return chosen
