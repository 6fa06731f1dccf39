"""Archive paging (pure): counts after filtering, RSM before/after/max; and the
flag stored with each message decides what the policy decides, for every reader."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roles.archive import PageRequest, page, visitor_view
from roles.effects import Said
from roles.model import Occupant
from roles.refusal import Refused
from roles.visibility import heard_by_visitors, hears_said

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


def test_an_unknown_id_is_not_echoed():
    with pytest.raises(Refused) as refused:
        page(archive(), VISITOR, PageRequest(after="x" * 100_000))
    assert refused.value.condition == "item-not-found" and "xxx" not in refused.value.text


def test_absurd_sizes_give_a_page():
    assert ids(page(archive(), AGENT, PageRequest(max=10**400))) == [f"s{n}" for n in range(10)]
    assert page(archive(), AGENT, PageRequest(max=-(10**400))).items == ()


# -- the stored flag decides exactly what the policy decides, for every reader --

STAFF = [
    Occupant("Jennie", "jennie@x", "agent", "Jennie"),
    Occupant("John", "john@x", "supervisor", "John"),
    Occupant("Admin", "admin@x", "admin", "Admin"),
]
VISITORS = [
    Occupant("Alice (visitor)", "alice@guest", "visitor", "Alice"),
    Occupant("Bob (visitor)", "bob@guest", "visitor", "Bob"),
]


@st.composite
def senders(draw):
    # Visitors are never hidden (roles.assignment.joins_hidden, RoomState.hide);
    # staff may be either.
    if draw(st.booleans()):
        return draw(st.sampled_from(VISITORS))
    return replace(draw(st.sampled_from(STAFF)), hidden=draw(st.booleans()))


@st.composite
def chains(draw):
    """A message said in a room, with what it corrects or reacts to, and so on."""
    said = None
    for n in range(draw(st.integers(1, 6))):
        staff_only = draw(st.booleans())
        said = Said(draw(senders()), staff_only, float(n), f"s{n}", None, said)
    return said


@given(chains(), st.sampled_from(STAFF + VISITORS + [replace(STAFF[1], hidden=True)]))
def test_the_stored_flag_is_what_the_policy_decides_for_every_reader(said, viewer):
    stored = heard_by_visitors(said)
    reads = stored or not visitor_view(viewer)
    assert reads == hears_said(viewer, said)


def test_a_long_chain_of_corrections_is_decided_without_recursion():
    said = Said(VISITOR, False, 0.0, "s0", None)
    for n in range(1, 20_000):
        said = Said(VISITOR, False, float(n), f"s{n}", None, said)
    assert heard_by_visitors(said)
    assert not heard_by_visitors(
        Said(VISITOR, False, 0.0, "top", None, replace(said, staff_only=True))
    )
