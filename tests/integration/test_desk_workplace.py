"""The desk as a workplace: whoever sits down learns what is waiting, reads the
announcements they missed, and asks the desk without talking over colleagues."""

from __future__ import annotations

import pytest

from roles.nicks import SERVICE_NICK
from tests.integration.client import groupchat_from, is_subject, q
from tests.integration.desk_helpers import desk_notice, on_desk, say

pytestmark = pytest.mark.integration
DELAY = "{urn:xmpp:delay}delay"


async def test_who_joins_the_desk_reads_the_announcements_they_missed(connect, desk, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    john = await connect("john")
    got = await john.join(desk, "John")
    chat_id = room.split("@")[0].removeprefix("chat-")[:8]
    replayed = [
        s
        for s in got
        if s.find(DELAY) is not None and f"New chat [{chat_id}]" in (s.findtext(q("body")) or "")
    ]
    assert [s.get("from") for s in replayed] == [f"{desk}/{SERVICE_NICK}"]
    # ...and in the desk's archive.
    mark = john.mark()
    last_page = "<set xmlns='http://jabber.org/protocol/rsm'><max>20</max><before/></set>"
    fin = await john.iq(desk, f"<query xmlns='urn:xmpp:mam:2'>{last_page}</query>", "set")
    assert fin.get("type") == "result"
    archived = "".join(
        (s.findtext(f".//{q('body')}") or "") for s in john.since(mark) if s.tag == q("message")
    )
    assert f"New chat [{chat_id}]" in archived


async def test_who_joins_the_desk_learns_what_is_waiting(connect, desk, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    say(visitor, room, "where is my parcel?")
    await visitor.expect(groupchat_from(f"{room}/Alice (visitor)", "where is my parcel?"))
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie")
    pending = await jennie.expect(desk_notice(desk, "Waiting now (1):"))
    text = pending.findtext(q("body")) or ""
    assert "visitor “Alice”" in text and f"xmpp:{room}?join" in text
    assert "(offered to Jennie)" in text  # she is the one available agent of the team
    assert pending.get("from") == f"{desk}/{SERVICE_NICK}"


async def test_a_desk_command_is_between_the_asker_and_the_desk(connect, desk):
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie")
    josh = await connect("josh")
    await on_desk(josh, desk, "Josh")
    jennie.send(f"<message to='{desk}' type='groupchat' id='ask1'><body>!chats</body></message>")
    echo = await jennie.expect(groupchat_from(f"{desk}/Jennie", "!chats"))
    assert echo.get("id") == "ask1"  # her client sees its message delivered
    await jennie.expect(desk_notice(desk, "No chats right now."))
    # A colleague's message after it: Josh got neither the command nor its answer.
    say(jennie, desk, "coffee?")
    await josh.expect(groupchat_from(f"{desk}/Jennie", "coffee?"))
    assert "!chats" not in josh.raw and "No chats right now" not in josh.raw


async def test_the_desk_has_a_subject_from_the_service(connect, desk):
    jennie = await connect("jennie")
    got = await jennie.join(desk, "Jennie")
    subject = next(s for s in got if is_subject(s))
    assert subject.get("from") == f"{desk}/{SERVICE_NICK}"
    assert "!help" in (subject.findtext(q("subject")) or "")
