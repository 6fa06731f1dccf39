"""What Huddle keeps of a message: shared files' links parsed and checked, and
an archived message's content surviving its row, old rows included."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slixmpp import Message

from component.muc.content import (
    MAX_URL_CHARS,
    Content,
    content_from_json,
    content_to_json,
    parse_content,
    write_content,
)
from roles.refusal import Refused

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
    oob_url=maybe,
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


URL = "https://upload.guest.localhost:5280/file_share/Zx9/receipt.png"


def parsed(payload: str, sender: str = "v1@guest.localhost/web") -> Content:
    xml = (
        f"<message xmlns='jabber:client' id='f1' type='groupchat' from='{sender}'>"
        f"{payload}</message>"
    )
    return parse_content(Message(xml=ET.fromstring(xml)))


def oob(url: str) -> str:
    return f"<x xmlns='jabber:x:oob'><url>{url}</url><desc>ignored</desc></x>"


def test_a_shared_file_keeps_its_link_and_body():
    # As Conversations, Gajim, Dino and Converse.js send it.
    content = parsed(f"<body>{URL}</body>{oob(URL)}")
    assert (content.body, content.oob_url) == (URL, URL)
    assert content.archived


def test_a_file_without_a_body_gets_its_link_as_body():
    content = parsed(oob(f"  {URL}\n"))
    assert (content.body, content.oob_url) == (URL, URL)


def test_the_link_is_written_back_without_anything_else_of_the_element():
    out = ET.Element("{jabber:client}message")
    write_content(out, "jabber:client", parsed(f"<body>{URL}</body>{oob(URL)}"), URL)
    x = out.find("{jabber:x:oob}x")
    assert x is not None and [child.tag for child in x] == ["{jabber:x:oob}url"]
    assert x.findtext("{jabber:x:oob}url") == URL


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://files.example/a.png",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "aesgcm://upload.example/a.png#0011",
        "https://",
        "/file_share/relative.png",
        "https://upload.example/a b.png",
    ],
)
def test_only_http_and_https_links_are_shared(url):
    with pytest.raises(Refused) as refused:
        parsed(f"<body>{url or 'x'}</body>{oob(url)}")
    assert (refused.value.etype, refused.value.condition) == ("modify", "not-acceptable")


def test_the_link_is_limited_in_length():
    base = "https://upload.guest.localhost/"
    longest = base + "x" * (MAX_URL_CHARS - len(base))
    assert parsed(oob(longest)).oob_url == longest
    with pytest.raises(Refused) as refused:
        parsed(oob(longest + "x"))
    assert (refused.value.etype, refused.value.condition) == ("modify", "policy-violation")
    assert f"{MAX_URL_CHARS} characters" in refused.value.text


@pytest.mark.parametrize(
    ("sender", "url", "carried"),
    [
        ("jennie@localhost/laptop", "https://upload.localhost/file_share/a/b.png", True),
        ("v1@guest.localhost/web", "https://upload.localhost/file_share/a/b.png", False),
        ("v1@guest.localhost/web", "https://tracker.example.net/pixel.png", False),
        ("v1@guest.localhost/web", "https://upload.guest.localhost.example.net/a.png", False),
        ("jennie@localhost/laptop", "https://docs.example.net/manual.pdf", False),
    ],
)
def test_out_of_band_only_from_the_senders_own_upload_service(sender, url, carried):
    # Anywhere else, staff clients would fetch a link the visitor chose by themselves.
    content = parsed(f"<body>{url}</body>{oob(url)}", sender)
    assert content.body == url
    assert content.oob_url == (url if carried else None)


def test_rows_without_a_file_read_as_before():
    assert content_from_json('{"id":"m1","body":"x"}').oob_url is None
    row = content_to_json(Content("m1", URL, oob_url=URL))
    assert content_from_json(row) == Content("m1", URL, oob_url=URL)
