"""Archive paging (pure): counts after filtering, RSM before/after/max."""

from __future__ import annotations

import pytest

from roles.archive import PageRequest, page
from roles.effects import Said
from roles.model import Occupant
from roles.refusal import Refused

VISITOR = Occupant("Alice (visitor)", "v@guest", "visitor", "Alice")
AGENT = Occupant("Jennie", "jennie@x", "agent", "Jennie")
JOHN = Occupant("John", "john@x", "supervisor", "John", hidden=True)


def archive():
    out = []
    for n in range(10):
        sender, staff_only = [(VISITOR, False), (AGENT, False), (AGENT, True), (JOHN, False)][n % 4]
        out.append(Said(sender, staff_only, float(n), f"s{n}", n))
    return out


def ids(p):
    return [s.stanza_id for s in p.items]


def test_visitor_counts_only_what_they_may_read():
    p = page(archive(), VISITOR, PageRequest())
    assert ids(p) == ["s0", "s1", "s4", "s5", "s8", "s9"]
    assert (p.count, p.first_index, p.complete) == (6, 0, True)
    staff = page(archive(), AGENT, PageRequest())
    assert staff.count == 10


def test_forward_and_backward_paging():
    first = page(archive(), VISITOR, PageRequest(max=2))
    assert ids(first) == ["s0", "s1"] and not first.complete
    second = page(archive(), VISITOR, PageRequest(max=2, after="s1"))
    assert ids(second) == ["s4", "s5"] and second.first_index == 2
    last = page(archive(), VISITOR, PageRequest(max=2, before=""))
    assert ids(last) == ["s8", "s9"] and last.first_index == 4 and not last.complete
    earlier = page(archive(), VISITOR, PageRequest(max=4, before="s4"))
    assert ids(earlier) == ["s0", "s1"] and earlier.complete


def test_time_filters_and_unknown_ids():
    p = page(archive(), AGENT, PageRequest(start=2.0, end=5.0))
    assert ids(p) == ["s2", "s3", "s4", "s5"] and p.count == 4
    with pytest.raises(Refused):
        page(archive(), VISITOR, PageRequest(after="s2"))  # a whisper: unknown to her
    empty = page(archive(), VISITOR, PageRequest(max=0))
    assert empty.items == () and empty.count == 6 and empty.first_index is None
