"""XEP-0313 archive queries on a chat, filtered per viewer (LEAKS #14, #23)."""

from __future__ import annotations

import pytest

from tests.integration.client import error_condition, groupchat_from, q
from tests.integration.supervision import supervised_chat

pytestmark = pytest.mark.integration
MAM = "urn:xmpp:mam:2"
RSM = "http://jabber.org/protocol/rsm"
FWD = "urn:xmpp:forward:0"


async def query(client, room, rsm="", form="", queryid="q1"):
    mark = client.mark()
    reply = await client.iq(
        room, f"<query xmlns='{MAM}' queryid='{queryid}'>{form}{rsm}</query>", "set"
    )
    results = [
        s
        for s in client.since(mark)
        if s.tag == q("message") and s.find(q("result", MAM)) is not None
    ]
    return reply, results


def bodies(results):
    out = []
    for message in results:
        inner = message.find(f"{q('result', MAM)}/{q('forwarded', FWD)}/{q('message')}")
        out.append(inner.find(q("body")).text)
    return out


def rsm_value(reply, name):
    element = reply.find(f"{q('fin', MAM)}/{q('set', RSM)}/{q(name, RSM)}")
    return element.text if element is not None else None


async def conversation(connect, room):
    chat = await supervised_chat(connect, room)
    for sender, text in (
        (chat.visitor, "hello"),
        (chat.agent, "hi, how can I help?"),
        (chat.john, "!w check the invoice"),
        (chat.agent, "!w on it"),
        (chat.visitor, "my invoice"),
    ):
        sender.send(f"<message to='{room}' type='groupchat'><body>{text}</body></message>")
        wanted = text.removeprefix("!w ")
        await chat.agent.expect(
            lambda s, wanted=wanted: (
                s.find(q("body")) is not None
                and s.get("type") == "groupchat"
                and wanted in (s.find(q("body")).text or "")
            )
        )
    return chat


async def test_visitor_reads_only_what_they_saw_and_counts_match(connect, room):
    chat = await conversation(connect, room)
    reply, results = await query(chat.visitor, room)
    assert reply.get("type") == "result"
    assert bodies(results) == ["hello", "hi, how can I help?", "my invoice"]
    assert rsm_value(reply, "count") == "3"
    assert reply.find(q("fin", MAM)).get("complete") == "true"
    first = reply.find(f"{q('fin', MAM)}/{q('set', RSM)}/{q('first', RSM)}")
    assert first.get("index") == "0"
    assert all(r.find(q("result", MAM)).get("queryid") == "q1" for r in results)
    assert "invoice" not in " ".join(bodies(results)[:2])
    assert "check the invoice" not in chat.visitor.raw and "on it" not in chat.visitor.raw
    chat.assert_no_leak()


async def test_staff_read_everything(connect, room):
    chat = await conversation(connect, room)
    reply, results = await query(chat.agent, room)
    assert bodies(results) == [
        "hello",
        "hi, how can I help?",
        "[whisper] check the invoice",
        "[whisper] on it",
        "my invoice",
    ]
    assert rsm_value(reply, "count") == "5"


async def test_paging_forwards_and_backwards(connect, room):
    chat = await conversation(connect, room)
    reply, results = await query(chat.visitor, room, f"<set xmlns='{RSM}'><max>2</max></set>")
    assert bodies(results) == ["hello", "hi, how can I help?"]
    assert reply.find(q("fin", MAM)).get("complete") == "false"
    last = rsm_value(reply, "last")
    reply, results = await query(
        chat.visitor, room, f"<set xmlns='{RSM}'><max>2</max><after>{last}</after></set>"
    )
    assert bodies(results) == ["my invoice"] and rsm_value(reply, "count") == "3"
    reply, results = await query(
        chat.visitor, room, f"<set xmlns='{RSM}'><max>1</max><before/></set>"
    )
    assert bodies(results) == ["my invoice"]


async def test_bad_queries_are_refused_and_strangers_read_nothing(connect, room, stack):
    chat = await conversation(connect, room)
    form = (
        "<x xmlns='jabber:x:data' type='submit'>"
        f"<field var='FORM_TYPE'><value>{MAM}</value></field>"
        "<field var='start'><value>yesterday</value></field></x>"
    )
    reply, results = await query(chat.visitor, room, form=form)
    assert error_condition(reply) == "modify/bad-request" and results == []
    reply, _ = await query(chat.visitor, room, f"<set xmlns='{RSM}'><after>nope</after></set>")
    assert error_condition(reply) == "cancel/item-not-found"
    outsider = await connect()
    reply, results = await query(outsider, room)
    assert error_condition(reply) == "auth/forbidden" and results == []
    reply, _ = await query(outsider, f"chat-{'4' * 24}@{stack.info.service}")
    assert error_condition(reply) == "cancel/item-not-found"


async def test_history_on_rejoin_matches_the_archive(connect, room):
    chat = await conversation(connect, room)
    chat.visitor.send(f"<presence to='{room}/Alice' type='unavailable'/>")
    await chat.agent.expect(
        lambda s: s.get("from") == chat.visitor_nick and s.get("type") == "unavailable"
    )
    got = await chat.visitor.join(room, "Alice")
    history = [s.find(q("body")).text for s in got if s.find(q("body")) is not None]
    _, results = await query(chat.visitor, room)
    assert history == bodies(results)
    chat.visitor.send(f"<message to='{room}' type='groupchat'><body>ok</body></message>")
    await chat.visitor.expect(groupchat_from(chat.visitor_nick, "ok"))
    chat.assert_no_leak()
