"""LEAKS #28, shared files: a file a hidden supervisor whispers, or shares while
``supervisor_speech = "whisper"`` keeps him staff-only, never reaches the
visitor, its URL included, on any channel: live, history on (re)join, the
archive, corrections. A file he shares in the default mode is speech: he is
revealed first. The visitor's client records every byte it receives; the URLs
are looked for in all of them."""

from __future__ import annotations

import secrets

import pytest

from tests.integration.client import groupchat_from, presence_from, q
from tests.integration.files import OOB, file_from, file_message, oob_url, upload
from tests.integration.supervision import Supervised, supervised_chat
from tests.integration.test_mam import query

pytestmark = pytest.mark.integration
CORRECT = "urn:xmpp:message-correct:0"
JPEG = b"\xff\xd8\xff\xe0" + secrets.token_bytes(2000)


@pytest.fixture
async def chat(connect, room):
    supervised = await supervised_chat(connect, room)
    yield supervised
    supervised.assert_no_leak()


async def johns_file(chat: Supervised, stack) -> str:
    url = await upload(chat.john, stack.info.staff_upload, JPEG, "statement.jpg", "image/jpeg")
    # The URL names a random slot and the file, never the uploader (LEAKS #28).
    assert "john" not in url.lower() and chat.john.bare not in url
    return url


async def assert_never_reached_the_visitor(chat: Supervised, *urls: str) -> None:
    """Through every channel the visitor has: live (behind a later visible
    message), history on rejoining, and the archive."""
    await chat.sync_visitor("visible answer")
    room, visitor = chat.room, chat.visitor
    visitor.send(f"<presence to='{room}/Alice' type='unavailable'/>")
    await visitor.expect(presence_from(chat.visitor_nick, "unavailable"))
    history = await visitor.join(room, "Alice")
    assert "visible answer" in [s.findtext(q("body")) for s in history]
    reply, results = await query(visitor, room)
    assert reply.get("type") == "result" and results
    raw = visitor.raw
    for url in urls:
        assert url not in raw, f"{url} reached the visitor"
    assert OOB not in raw
    assert not [s for s in visitor.xmpp.stanzas if s.get("from") == f"{room}/John"]


async def test_a_whispered_file_stays_with_staff(chat, stack, connect):
    room = chat.room
    url = await johns_file(chat, stack)
    chat.john.send(file_message(room, url, "w1", body="!w her statement"))
    seen = await chat.agent.expect(file_from(f"{room}/John", url), what="the whispered file")
    assert seen.findtext(q("body")) == "[whisper] her statement"
    await assert_never_reached_the_visitor(chat, url)
    # Staff who join later read it in history.
    history = await (await connect("admin")).join(room, "Admin")
    assert [oob_url(s) for s in history if oob_url(s)] == [url]


async def test_in_whisper_mode_a_hidden_supervisors_file_and_its_correction_stay_with_staff(
    chat, stack, whisper_mode
):
    room = chat.room
    url = await johns_file(chat, stack)
    chat.john.send(file_message(room, url, "f1"))
    seen = await chat.agent.expect(file_from(f"{room}/John", url), what="the file, to staff")
    assert seen.findtext(q("body")) == f"[whisper] {url}"
    corrected = await johns_file(chat, stack)
    chat.john.send(
        file_message(room, corrected, "f2").replace(
            "</message>", f"<replace xmlns='{CORRECT}' id='f1'/></message>"
        )
    )
    fixed = await chat.agent.expect(file_from(f"{room}/John", corrected), what="the correction")
    assert fixed.find(q("replace", CORRECT)).get("id") == "f1"
    await assert_never_reached_the_visitor(chat, url, corrected)
    _, results = await query(chat.agent, room)
    assert [oob_url(r.find(f".//{q('message')}")) for r in results][:2] == [url, corrected]


async def test_a_hidden_supervisors_file_reveals_him_first(chat, stack):
    room = chat.room
    url = await johns_file(chat, stack)
    mark = chat.visitor.mark()
    # A file alone, without a body, is speech too.
    chat.john.send(
        f"<message to='{room}' type='groupchat'><x xmlns='{OOB}'><url>{url}</url></x></message>"
    )
    got = await chat.visitor.expect(file_from(f"{room}/John", url), what="John's file")
    arrived = [s for s in chat.visitor.since(mark) if s.get("from") == f"{room}/John"]
    assert arrived[0].tag == q("presence") and arrived[-1] is got
    assert got.findtext(q("body")) == url
    chat.revealed = True
    await chat.agent.expect(groupchat_from(f"{room}/John", url))
