"""An archived message's content survives its row, old rows included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from component.muc.content import Content, content_from_json, content_to_json

maybe = st.none() | st.text(max_size=20)
contents = st.builds(
    Content,
    id=maybe,
    body=maybe,
    origin_id=maybe,
    chat_state=st.none() | st.sampled_from(("active", "composing")),
    replaces=maybe,
    reactions_to=maybe,
    reactions=st.tuples() | st.tuples(st.text(max_size=4), st.text(max_size=4)),
    marker=st.none() | st.just("displayed"),
    marks=maybe,
    markable=st.booleans(),
)


@given(contents)
def test_content_round_trips(content):
    assert content_from_json(content_to_json(content)) == content


def test_defaults_are_left_out_of_the_row():
    assert content_to_json(Content("m1", "hi")) == '{"id":"m1","body":"hi"}'
    assert content_to_json(Content(None, "")) == '{"body":""}'


def test_rows_written_with_every_field_still_read():
    row = (
        '{"id":"m1","body":"x","origin_id":null,"chat_state":null,"replaces":null,'
        '"reactions_to":null,"reactions":[],"marker":null,"marks":null,"markable":false}'
    )
    assert content_from_json(row) == Content("m1", "x")
