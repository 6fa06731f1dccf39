"""Every LEAKS.md channel that exists so far: the visitor must learn nothing of a
hidden supervisor, and what they get about him equals what they get about a nick
that is not there. Row numbers refer to LEAKS.md."""

from __future__ import annotations

import pytest

from tests.integration.client import (
    codes,
    error_condition,
    groupchat_from,
    presence_from,
    q,
)
from tests.integration.supervision import normalized, supervised_chat

pytestmark = pytest.mark.integration
PING = "<ping xmlns='urn:xmpp:ping'/>"
INFO = "http://jabber.org/protocol/disco#info"
ITEMS = "http://jabber.org/protocol/disco#items"


@pytest.fixture
async def chat(connect, room):
    supervised = await supervised_chat(connect, room)
    yield supervised
    supervised.assert_no_leak()


async def test_row1_join_status_nick_change_and_leave_send_nothing(chat):
    room, john = chat.room, chat.john
    john.send(f"<presence to='{room}/John'><show>dnd</show><status>watching</status></presence>")
    await chat.agent.expect(presence_from(f"{room}/John"))
    john.send(f"<presence to='{room}/Johnny'/>")
    renamed = await chat.agent.expect(presence_from(f"{room}/John", "unavailable"))
    assert codes(renamed) == {"303"}
    await chat.agent.expect(presence_from(f"{room}/Johnny"))
    john.send(f"<presence to='{room}/Johnny' type='unavailable'/>")
    await chat.agent.expect(presence_from(f"{room}/Johnny", "unavailable"))
    mark = chat.visitor.mark()
    await chat.sync_visitor()
    assert "Johnny" not in chat.visitor.raw
    assert [s.tag for s in chat.visitor.since(mark)] == [q("message")]


async def test_row2_occupant_list_on_rejoin_leaves_hidden_staff_out(chat):
    room, visitor = chat.room, chat.visitor
    visitor.send(f"<presence to='{room}/Alice' type='unavailable'/>")
    await visitor.expect(presence_from(chat.visitor_nick, "unavailable"))
    got = await visitor.join(room, "Alice")
    presences = [s.get("from") for s in got if s.tag == q("presence")]
    assert presences == [f"{room}/Jennie", chat.visitor_nick]


async def test_rows4_5_disco_items_and_occupant_count(chat, connect):
    info = await chat.visitor.iq(chat.room, f"<query xmlns='{INFO}'/>")
    count = [
        f.find("{jabber:x:data}value").text
        for f in info.iter("{jabber:x:data}field")
        if f.get("var") == "muc#roominfo_occupants"
    ]
    assert count == ["2"]  # Alice and Jennie; John is not counted
    items = await chat.visitor.iq(chat.room, f"<query xmlns='{ITEMS}'/>")
    assert list(items.find(q("query", ITEMS))) == []
    staff_info = await chat.agent.iq(chat.room, f"<query xmlns='{INFO}'/>")
    staff_count = [
        f.find("{jabber:x:data}value").text
        for f in staff_info.iter("{jabber:x:data}field")
        if f.get("var") == "muc#roominfo_occupants"
    ]
    assert staff_count == ["3"]


@pytest.mark.parametrize(
    "payload",
    [
        PING,
        "<vCard xmlns='vcard-temp'/>",
        "<query xmlns='jabber:iq:version'/>",
        f"<query xmlns='{INFO}'/>",
        f"<query xmlns='{ITEMS}'/>",
    ],
)
async def test_rows7_17_19_iq_to_hidden_nick_equals_absent_nick(chat, payload):
    chat.named_by_visitor = True
    hidden = await chat.visitor.iq(f"{chat.room}/John", payload)
    absent = await chat.visitor.iq(f"{chat.room}/Nobody", payload)
    assert hidden.get("type") == "error"
    assert normalized(hidden, {"/John": "/X"}) == normalized(absent, {"/Nobody": "/X"})
    # Nothing was forwarded to John.
    assert not [s for s in chat.john.xmpp.stanzas if s.tag == q("iq") and payload[1:6] in str(s)]


async def test_row6_private_message_to_hidden_nick_equals_absent_nick(chat):
    chat.named_by_visitor = True
    room, visitor = chat.room, chat.visitor
    visitor.send(f"<message to='{room}/John' type='chat' id='pm1'><body>psst</body></message>")
    hidden = await visitor.expect(lambda s: s.get("id") == "pm1")
    visitor.send(f"<message to='{room}/Nobody' type='chat' id='pm2'><body>psst</body></message>")
    absent = await visitor.expect(lambda s: s.get("id") == "pm2")
    assert error_condition(hidden) == "cancel/item-not-found"
    assert normalized(hidden, {"/John": "/X"}) == normalized(absent, {"/Nobody": "/X"})
    # Even to the visible agent: visitors have no private channel to any nick.
    visitor.send(f"<message to='{room}/Jennie' type='chat' id='pm3'><body>psst</body></message>")
    visible = await visitor.expect(lambda s: s.get("id") == "pm3")
    assert normalized(visible, {"/Jennie": "/X"}) == normalized(absent, {"/Nobody": "/X"})
    assert "psst" not in chat.john.raw and "psst" not in chat.agent.raw


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("chat state", "<composing xmlns='http://jabber.org/protocol/chatstates'/>"),
        ("receipt", "<received xmlns='urn:xmpp:receipts' id='v-1'/>"),
        ("marker", "<displayed xmlns='urn:xmpp:chat-markers:0' id='{sid}'/>"),
        (
            "reaction",
            "<reactions xmlns='urn:xmpp:reactions:0' id='{sid}'>"
            "<reaction>👍</reaction></reactions>",
        ),
        ("retraction", "<retract xmlns='urn:xmpp:message-retract:1' id='{sid}'/>"),
    ],
)
async def test_rows8_9_10_13_states_receipts_markers_reactions_of_hidden_staff_are_dropped(
    chat, name, payload
):
    room = chat.room
    chat.visitor.send(
        f"<message to='{room}' type='groupchat' id='v-1'><body>question</body></message>"
    )
    seen = await chat.john.expect(groupchat_from(chat.visitor_nick, "question"))
    await chat.visitor.expect(groupchat_from(chat.visitor_nick, "question"))
    sid = seen.find(q("stanza-id", "urn:xmpp:sid:0")).get("id")
    mark = chat.visitor.mark()
    chat.john.send(f"<message to='{room}' type='groupchat'>{payload.format(sid=sid)}</message>")
    await chat.sync_visitor()
    assert [s.find(q("body")).text for s in chat.visitor.since(mark)] == ["sync"], name
    # And John is still hidden: nothing he did counted as speaking.
    assert chat.john.bare not in chat.visitor.raw


async def test_row11_corrections_reach_only_those_who_saw_the_original(chat):
    room, john = chat.room, chat.john
    john.send(
        f"<message to='{room}' type='groupchat' id='w1'><body>!w internal note</body></message>"
    )
    await chat.agent.expect(groupchat_from(f"{room}/John", "[whisper] internal note"))
    john.send(
        f"<message to='{room}' type='groupchat' id='w2'><body>corrected note</body>"
        "<replace xmlns='urn:xmpp:message-correct:0' id='w1'/></message>"
    )
    fixed = await chat.agent.expect(groupchat_from(f"{room}/John", "[whisper] corrected note"))
    assert fixed.find(q("replace", "urn:xmpp:message-correct:0")).get("id") == "w1"
    # A correction of someone else's message is no correction at all.
    john.send(
        f"<message to='{room}' type='groupchat' id='w3'><body>forged</body>"
        "<replace xmlns='urn:xmpp:message-correct:0' id='sync-0'/></message>"
    )
    await chat.sync_visitor()
    assert "note" not in chat.visitor.raw and "forged" not in chat.visitor.raw


async def test_row13_reply_quotes_are_cut_from_the_body(chat):
    room = chat.room
    chat.john.send(f"<message to='{room}' type='groupchat'><body>!w secret plan</body></message>")
    await chat.agent.expect(groupchat_from(f"{room}/John", "[whisper] secret plan"))
    quote = "> secret plan\n"
    chat.agent.send(
        f"<message to='{room}' type='groupchat'><body>{quote}Sure thing</body>"
        f"<reply xmlns='urn:xmpp:reply:0' to='{room}/John' id='x'/>"
        "<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'>"
        f"<body start='0' end='{len(quote)}'/></fallback></message>"
    )
    got = await chat.visitor.expect(groupchat_from(f"{room}/Jennie"))
    assert got.find(q("body")).text == "Sure thing"
    assert "secret plan" not in chat.visitor.raw


async def test_rows15_23_history_on_join_has_no_whispers_nor_hidden_staff(chat, connect):
    room = chat.room
    chat.john.send(
        f"<message to='{room}' type='groupchat'><body>!w only for staff</body></message>"
    )
    await chat.agent.expect(groupchat_from(f"{room}/John", "[whisper] only for staff"))
    chat.agent.send(
        f"<message to='{room}' type='groupchat'><body>!whisper agent note</body></message>"
    )
    await chat.john.expect(groupchat_from(f"{room}/Jennie", "[whisper] agent note"))
    await chat.sync_visitor("public answer")
    chat.visitor.send(f"<presence to='{room}/Alice' type='unavailable'/>")
    await chat.visitor.expect(presence_from(chat.visitor_nick, "unavailable"))
    got = await chat.visitor.join(room, "Alice")
    bodies = [s.find(q("body")).text for s in got if s.find(q("body")) is not None]
    assert bodies == ["public answer"]
    assert "only for staff" not in chat.visitor.raw and "agent note" not in chat.visitor.raw
    # Staff joining later get the whole story.
    admin = await connect("admin")
    staff_got = await admin.join(room, "Admin")
    staff_bodies = [s.find(q("body")).text for s in staff_got if s.find(q("body")) is not None]
    assert staff_bodies == ["[whisper] only for staff", "[whisper] agent note", "public answer"]


async def test_row18_visitor_cannot_probe_staff_nicks(chat):
    chat.named_by_visitor = True
    room, visitor = chat.room, chat.visitor
    visitor.send(f"<presence to='{room}/John'/>")
    to_john = await visitor.expect(presence_from(f"{room}/John (visitor)"))
    visitor.send(f"<presence to='{room}/Nobody'/>")
    to_nobody = await visitor.expect(presence_from(f"{room}/Nobody (visitor)"))
    assert codes(to_john) == codes(to_nobody) == {"110", "210"}
    assert chat.secrets()[1] not in visitor.raw


async def test_rows20_22_subject_from_room_and_no_hats_for_visitors(chat):
    chat.john.send(
        f"<message to='{chat.room}' type='groupchat'><subject>Refunds</subject></message>"
    )
    subject = await chat.visitor.expect(
        lambda s: s.find(q("subject")) is not None and s.find(q("subject")).text == "Refunds"
    )
    assert subject.get("from") == chat.room
    assert "urn:xmpp:hats:0" not in chat.visitor.raw


async def test_row16_27_ids_the_visitor_sees_encode_no_one(chat):
    chat.agent.send(
        f"<message to='{chat.room}' type='groupchat' id='a-1'><body>answer</body></message>"
    )
    got = await chat.visitor.expect(groupchat_from(f"{chat.room}/Jennie", "answer"))
    oid = got.find(q("occupant-id", "urn:xmpp:occupant-id:0")).get("id")
    sid = got.find(q("stanza-id", "urn:xmpp:sid:0")).get("id")
    for value in (oid, sid):
        assert "jennie" not in value.lower() and "localhost" not in value
    assert oid != chat.john_oid


async def test_row26_a_revealed_speaker_arrives_before_his_message(chat):
    room = chat.room
    mark = chat.visitor.mark()
    chat.john.send(f"<message to='{room}' type='groupchat'><body>Hi there</body></message>")
    message = await chat.visitor.expect(groupchat_from(f"{room}/John", "Hi there"))
    arrived = [s for s in chat.visitor.since(mark) if s.get("from") == f"{room}/John"]
    assert arrived[0].tag == q("presence") and arrived[-1] is message
    chat.revealed = True


async def test_row30_the_service_occupant_is_for_staff_only(chat):
    """Staff hear the room through its service occupant; the visitor never learns
    it exists: no presence, no message, no hat, not counted, not pingable."""
    room, visitor = chat.room, chat.visitor
    chat.agent.send(f"<message to='{room}' type='groupchat'><body>!info</body></message>")
    await chat.agent.expect(lambda s: s.get("from") == f"{room}/Huddle", what="a notice")
    visitor.send(f"<presence to='{room}/Alice' type='unavailable'/>")
    await visitor.expect(presence_from(chat.visitor_nick, "unavailable"))
    await visitor.join(room, "Alice")
    await chat.sync_visitor()
    assert "Huddle" not in visitor.raw and "urn:huddle:hat" not in visitor.raw
    # Pinged, it answers as a nick that is not there.
    pinged = await visitor.iq(f"{room}/Huddle", PING)
    absent = await visitor.iq(f"{room}/Nobody", PING)
    assert error_condition(pinged) == error_condition(absent)
