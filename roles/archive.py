"""What a viewer may read of a chat's archive, one page at a time (XEP-0313 with
XEP-0059 result set management).

Filtering comes first, so counts, first and last describe only what this viewer
may see: a visitor's count never includes a whisper or a hidden person's
message (LEAKS #14).

``page`` defines a page over messages in memory. The archive in storage answers
the same from an index: what a visitor hears is decided when a message is said
(``visibility.heard_by_visitors``) and stored with it, and ``visitor_view`` says
which readers are limited to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from roles.effects import Said
from roles.model import Occupant
from roles.refusal import Refused
from roles.visibility import hears_said

MAX_PAGE = 100
# Never the id itself: it is the client's to choose, of any length.
NO_SUCH_MESSAGE = "No archived message with that id."


@dataclass(frozen=True, slots=True)
class PageRequest:
    start: float | None = None
    end: float | None = None
    after: str | None = None  # RSM <after>, or MAM after-id
    before: str | None = None  # RSM <before>; "" asks for the last page
    max: int = MAX_PAGE


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple[Said, ...]
    count: int
    first_index: int | None
    complete: bool


def page_size(request: PageRequest) -> int:
    """RSM max, within what one page may hold; a negative max asks for nothing."""
    return max(0, min(request.max, MAX_PAGE))


def visitor_view(viewer: Occupant) -> bool:
    """Whether ``viewer`` reads only what visitors hear. Staff hear everything and
    visitors all hear the same, so this and the stored flag decide ``hears_said``
    for every reader."""
    return not viewer.is_staff


def readable(entries: Sequence[Said], viewer: Occupant) -> list[Said]:
    return [said for said in entries if hears_said(viewer, said)]


def _index(items: Sequence[Said], stanza_id: str) -> int:
    for index, said in enumerate(items):
        if said.stanza_id == stanza_id:
            return index
    raise Refused("item-not-found", NO_SUCH_MESSAGE)


def page(entries: Sequence[Said], viewer: Occupant, request: PageRequest) -> Page:
    """A page of what ``viewer`` may read, oldest first."""
    items = [
        said
        for said in readable(entries, viewer)
        if (request.start is None or said.stamp >= request.start)
        and (request.end is None or said.stamp <= request.end)
    ]
    count = len(items)
    limit = page_size(request)
    low, high = 0, count
    if request.after:
        low = _index(items, request.after) + 1
    if request.before:
        high = _index(items, request.before)
    if request.before is not None:
        # Paging backwards: the newest ``limit`` before the mark.
        first = max(low, high - limit)
        chosen = items[first:high]
        complete = first == low
    else:
        first = low
        chosen = items[low : min(high, low + limit)]
        complete = low + len(chosen) >= high
    return Page(tuple(chosen), count, first if chosen else None, complete)
